"""offermap's downloader middlewares: the SSRF guard, robots.txt and politeness."""
