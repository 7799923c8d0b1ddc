"""Keep API keys and tokens out of logs, the database, errors and files.

Google's Custom Search takes its key as ``key=`` in the URL, and Scrapy logs request
URLs ("Crawled (200) <GET ...>") and puts them in timeout messages; Brave's token
travels in a header, which Scrapy's HTTP cache would write to disk (RELIABILITY.md
finding 8).  So every text that leaves the process goes through :func:`redact`:
the secret values the backends registered are replaced, and so is the value of
any URL parameter named like a key, whatever its value.
"""

from __future__ import annotations

import logging
import re
import threading
from typing import Any

from scrapy.logformatter import LogFormatter

MASK = "[redacted]"

_SECRET_PARAM = re.compile(r"(?i)([?&](?:key|api_key|apikey|token|access_token|cx)=)[^&#\s'\"]*")
_lock = threading.Lock()
_secrets: set[str] = set()


def register_secret(value: str | None) -> None:
    """Remember a secret value so that :func:`redact` hides it everywhere."""
    if value and len(value) >= 4:  # a shorter "secret" would mask ordinary words
        with _lock:
            _secrets.add(value)


def redact(text: str) -> str:
    """``text`` with every registered secret and every key-like URL parameter masked."""
    with _lock:
        known = sorted(_secrets, key=len, reverse=True)
    for value in known:
        text = text.replace(value, MASK)
    return _SECRET_PARAM.sub(lambda match: match.group(1) + MASK, text)


def redact_bytes(data: bytes) -> bytes:
    """``data`` with every registered secret masked (raw responses kept with a run)."""
    with _lock:
        known = sorted(_secrets, key=len, reverse=True)
    for value in known:
        data = data.replace(value.encode(), MASK.encode())
    return data


class RedactingLogFormatter(LogFormatter):
    """Scrapy's log lines with request URLs (and anything else) redacted.

    Every message Scrapy formats through its LOG_FORMATTER (crawled, scraped,
    dropped, item, spider and download errors) passes here.
    """

    def _clean(self, entry: Any) -> Any:
        entry["msg"] = redact(entry["msg"])
        entry["args"] = {name: redact(value) if isinstance(value, str) else
                         redact(str(value)) if _has_url(value) else value
                         for name, value in entry["args"].items()}
        return entry

    def crawled(self, *args: Any, **kwargs: Any) -> Any:
        return self._clean(super().crawled(*args, **kwargs))

    def scraped(self, *args: Any, **kwargs: Any) -> Any:
        return self._clean(super().scraped(*args, **kwargs))

    def dropped(self, *args: Any, **kwargs: Any) -> Any:
        return self._clean(super().dropped(*args, **kwargs))

    def item_error(self, *args: Any, **kwargs: Any) -> Any:
        return self._clean(super().item_error(*args, **kwargs))

    def spider_error(self, *args: Any, **kwargs: Any) -> Any:
        return self._clean(super().spider_error(*args, **kwargs))

    def download_error(self, *args: Any, **kwargs: Any) -> Any:
        return self._clean(super().download_error(*args, **kwargs))


def _has_url(value: Any) -> bool:
    return hasattr(value, "url") or hasattr(value, "request")


class RedactingFilter(logging.Filter):
    """A logging filter for messages that do not go through the LOG_FORMATTER
    (middlewares that log a URL directly, such as redirects)."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        clean = redact(message)
        if clean != message:
            record.msg, record.args = clean, None
        return True


def install_log_filter() -> None:
    """Put :class:`RedactingFilter` on every handler of the root logger and on every
    logger of Scrapy, Twisted and offermap (a logger's filter does not see records
    of its children, so each one gets it)."""
    redacting = RedactingFilter()
    for handler in logging.getLogger().handlers:
        if not any(isinstance(f, RedactingFilter) for f in handler.filters):
            handler.addFilter(redacting)
    names = [name for name in logging.root.manager.loggerDict
             if name.split(".")[0] in {"scrapy", "twisted", "crawler", "pipeline", "py"}]
    for name in ["scrapy", "twisted", "crawler", "pipeline", *names]:
        logger = logging.getLogger(name)
        if not any(isinstance(f, RedactingFilter) for f in logger.filters):
            logger.addFilter(redacting)
