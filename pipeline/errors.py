"""The exceptions offermap raises on purpose.

::

    OfferMapError                  every error meant for the user; one readable line
    ├── ConfigError                a configuration file is missing or wrong
    ├── BackendError               a search backend refused or failed
    │   └── BackendMisconfigured   ... in a way that retrying cannot fix
    └── StorageError               the database cannot be used as asked

The command line catches ``OfferMapError`` at the top, prints ``str(error)`` and
exits with ``error.exit_code``.
"""

from __future__ import annotations


class OfferMapError(Exception):
    """An error whose message is written for the person running offermap."""

    exit_code = 1


class ConfigError(OfferMapError):
    """A configuration file is missing, unreadable or invalid.

    The message names the file, the line and the key, and what was expected.
    """

    exit_code = 2


class BackendError(OfferMapError):
    """A search backend failed; the query may be retried in a later run."""


class BackendMisconfigured(BackendError):
    """A search backend refuses every request until its configuration is fixed."""

    exit_code = 3


class StorageError(OfferMapError):
    """The database cannot be opened or used as asked."""

    exit_code = 4
