"""What spiders hand to the item pipelines."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from crawler.backends.base import GridQuery, SearchHit


@dataclass(slots=True)
class SearchResponse:
    """One result page of one grid query from one backend.

    ``status`` is ``done``, ``partial`` (some engines behind the backend did not
    answer: the query is retried next run), ``failed`` (retryable) or ``blocked``.
    """

    backend: str
    query: GridQuery
    page: int
    status: str
    hits: list[SearchHit] = field(default_factory=list)
    error: str | None = None
    sent_at: datetime | None = None


@dataclass(slots=True)
class FetchedPage:
    """One fetch, successful or not."""

    url: str
    origin: str  # "search" or the provider site's name
    fetched_at: datetime
    final_url: str | None = None
    status: int | None = None
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    depth: int = 0
    hit: tuple[str, str, int, int] | None = None  # (backend, query key, page, rank) of its hit
    error: str | None = None
    theme_filter: bool = True
