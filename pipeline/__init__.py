"""What turns fetched pages into reviewed entries: item pipelines, relevance,
deduplication, storage, runs, exports and the command line."""
