"""The interface every search backend implements.

A backend does two pure things: it says what request to send for a query and a
result page (:meth:`Backend.request`), and it reads the answer
(:meth:`Backend.parse`).  Sending is the spider's job, so backends can be tested
on saved responses and every request goes through the crawler's politeness,
retry and safety machinery.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from pipeline.errors import BackendError


@dataclass(frozen=True, slots=True)
class GridQuery:
    """One cell of the search grid in one language."""

    keyword: str
    format: str
    language: str
    text: str

    @property
    def key(self) -> str:
        return f"{self.language}:{self.text}"


@dataclass(frozen=True, slots=True)
class SearchHit:
    rank: int
    url: str
    title: str | None = None
    snippet: str | None = None
    published: str | None = None


@dataclass(frozen=True, slots=True)
class RequestSpec:
    url: str
    method: str = "GET"
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes | None = None


@dataclass(frozen=True, slots=True)
class BackendPage:
    """A parsed result page.

    ``unresponsive`` lists engines behind a meta-search backend that did not
    answer; a non-empty list makes the query *partial*.
    """

    hits: list[SearchHit]
    has_more: bool
    unresponsive: tuple[str, ...] = ()


class BackendBlocked(BackendError):
    """The backend answered with a throttle or anti-bot signal, not with results."""


class Backend(Protocol):
    name: str
    max_requests: int
    timeout: float
    delay: float

    def request(self, query: GridQuery, page: int) -> RequestSpec: ...

    def parse(self, status: int, headers: dict[str, str], body: bytes) -> BackendPage:
        """Read one answer; raise BackendMisconfigured, BackendBlocked or BackendError."""
        ...
