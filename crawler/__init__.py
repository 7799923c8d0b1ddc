"""The Scrapy project: spiders fetch search results and provider sites.

Spiders fetch and do not interpret: they yield what they fetched
(:mod:`crawler.items`), and the item pipelines in :mod:`pipeline` extract, score,
deduplicate and store.
"""
