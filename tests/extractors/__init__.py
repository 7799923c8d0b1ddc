"""Tests: extractors."""
