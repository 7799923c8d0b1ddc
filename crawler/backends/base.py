"""The interface every search backend implements.

A backend does two pure things: it says what request to send for a query and a
result page (:meth:`Backend.request`), and it reads the answer
(:meth:`Backend.parse`).  Sending is the spider's job, so backends can be tested
on saved responses and every request goes through the crawler's politeness,
retry and safety machinery.

Paging state: some backends cannot compute page N+1 from the query alone
(DuckDuckGo's HTML page must be paged by posting back the hidden fields of the
previous page, ``vqd`` included), so :class:`BackendPage` may carry ``next_state``
and the spider hands it to the next :meth:`Backend.request`.

Throttle hints: a backend reads its own "slow down" signals (Brave's
``X-RateLimit-*`` pairs, a 429) and reports them as ``wait`` seconds before the next
request (on a page) or as :class:`BackendBlocked` with ``cooldown`` and ``hold_until``
(on an error).  The spider paces each backend by these hints.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from pipeline.errors import BackendError

#: Time restrictions every backend understands (each maps them to its own parameter).
TIME_RANGES = ("day", "week", "month", "year")


@dataclass(frozen=True, slots=True)
class GridQuery:
    """One cell of the search grid in one language, as one backend will send it."""

    keyword: str
    format: str
    language: str
    text: str
    time_range: str | None = None  # one of TIME_RANGES, or None for any time

    @property
    def key(self) -> str:
        return f"{self.language}:{self.text}"

    @property
    def cell(self) -> tuple[str, str, str]:
        """The grid cell (keyword × format × language) this query searches."""
        return (self.keyword, self.format, self.language)


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
    answer; a non-empty list makes the query *partial*.  ``next_state`` is what the
    next page's request needs (None when the page number is enough).  ``wait`` is
    the pause in seconds the backend asks for before its next request.
    """

    hits: list[SearchHit]
    has_more: bool
    unresponsive: tuple[str, ...] = ()
    next_state: dict[str, str] | None = None
    wait: float = 0.0
    hold_until: datetime | None = None  # out of quota until then: ask nothing more


#: Keys of a kept raw answer's headers that no HTTP header can have (a colon is not
#: allowed in a header name): how many requests the page took, and the answers to
#: the earlier ones (throttled, then asked again).
ATTEMPTS_KEY = "offermap:attempts"
EARLIER_KEY = "offermap:earlier"


@dataclass(frozen=True, slots=True)
class RawExchange:
    """A backend's raw answer, as kept with the run (secrets already stripped)."""

    method: str
    url: str
    request_body: str | None
    status: int | None
    headers: dict[str, str]
    body: bytes

    def as_json(self) -> dict[str, object]:
        """This answer as JSON (the body as text), to keep inside another row."""
        return {"method": self.method, "url": self.url, "request_body": self.request_body,
                "status": self.status, "headers": self.headers,
                "body": self.body.decode("utf-8", "replace")}


def request_count(status: str, exchange_headers: dict[str, Any] | None) -> int:
    """How many requests one stored result page took: none if it was not sent, one,
    or more when it was throttled and asked again (:data:`ATTEMPTS_KEY`)."""
    if status == "unsent":
        return 0
    return int((exchange_headers or {}).get(ATTEMPTS_KEY, 1))


class BackendBlocked(BackendError):
    """The backend answered with a throttle or anti-bot signal, not with results.

    ``cooldown``: seconds before this backend may be asked again in this run.
    ``hold_until``: the backend is out of quota until then (it is skipped by this
    run and by later runs that start before that time).
    """

    def __init__(self, message: str, *, cooldown: float = 0.0,
                 hold_until: datetime | None = None) -> None:
        super().__init__(message)
        self.cooldown = cooldown
        self.hold_until = hold_until


class Backend(Protocol):
    name: str
    max_requests: int
    timeout: float
    delay: float
    #: How many result pages a query can have at most on this backend.
    max_pages: int
    #: Query operators the backend understands: "quotes", "exclude", "site", "filetype".
    operators: frozenset[str]

    def request(self, query: GridQuery, page: int,
                state: dict[str, str] | None = None) -> RequestSpec: ...

    def parse(self, status: int, headers: dict[str, str], body: bytes) -> BackendPage:
        """Read one answer; raise BackendMisconfigured, BackendBlocked or BackendError."""
        ...

    def secrets(self) -> tuple[str, ...]:
        """Values that must never be logged or stored (API keys, tokens)."""
        ...
