"""offermap's test suite."""
