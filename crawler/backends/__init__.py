"""Search backends: small adapters behind one interface (:class:`Backend`)."""

from crawler.backends.base import Backend, BackendPage, GridQuery, RequestSpec, SearchHit
from crawler.backends.searxng import SearxngBackend

__all__ = ["Backend", "BackendPage", "GridQuery", "RequestSpec", "SearchHit", "SearxngBackend"]


def make_backend(name: str, config) -> Backend:  # type: ignore[no-untyped-def]
    """The backend called ``name``, set up from the ``backends`` section of keywords.yaml."""
    if name == "searxng":
        return SearxngBackend(config.backends.searxng)
    raise ValueError(f"Unknown backend {name!r}; expected one of: searxng")
