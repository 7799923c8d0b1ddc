"""Tests of the review app: security, API, CLI and a real browser."""
