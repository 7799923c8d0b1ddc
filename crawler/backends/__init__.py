"""Search backends: small adapters behind one interface (:class:`Backend`)."""

from __future__ import annotations

from crawler.backends.base import Backend, BackendPage, GridQuery, RequestSpec, SearchHit
from crawler.backends.brave import BraveBackend
from crawler.backends.google import GoogleBackend
from crawler.backends.searxng import SearxngBackend

__all__ = ["Backend", "BackendPage", "BraveBackend", "GoogleBackend", "GridQuery",
           "RequestSpec", "SearchHit", "SearxngBackend", "make_backend", "BACKEND_NAMES"]

#: Every backend that can run the grid (Common Crawl enumerates sites, not keywords).
BACKEND_NAMES = ("brave", "duckduckgo", "google", "searxng")


def make_backend(name: str, config) -> Backend:  # type: ignore[no-untyped-def]
    """The backend called ``name``, set up from the ``backends`` section of keywords.yaml.

    Raises BackendMisconfigured when a keyed backend has no key in the environment.
    """
    settings = config.backends
    if name == "searxng":
        return SearxngBackend(settings.searxng)
    if name == "brave":
        return BraveBackend(settings.brave)
    if name == "google":
        return GoogleBackend(settings.google)
    if name == "duckduckgo":
        from crawler.backends.duckduckgo import DuckDuckGoBackend

        return DuckDuckGoBackend(settings.duckduckgo)
    raise ValueError(f"Unknown backend {name!r}; expected one of: {', '.join(BACKEND_NAMES)}")
