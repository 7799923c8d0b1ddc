"""Turn one fetched page into training descriptors, each with its evidence.

Extractors are plain functions: they take the URL, the response headers and the
body bytes, and return data.  They never touch the network or the database, so
they can be re-run on archived pages and tested on saved files.

The entry point is :func:`extract_page`.
"""

from extractors.types import Evidence, PageExtraction, Record, Value
from extractors.taxonomy import Taxonomy
from extractors.page import extract_page

__all__ = ["Evidence", "PageExtraction", "Record", "Taxonomy", "Value", "extract_page"]
