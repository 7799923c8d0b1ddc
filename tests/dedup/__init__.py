"""Tests of the URL keys and the duplicate matcher (pipeline.urls, pipeline.dedup)."""
