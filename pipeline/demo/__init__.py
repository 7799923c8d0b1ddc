"""An offline web for ``offermap demo`` and for tests.

A handful of hand-written provider sites (a university, a city network, an
intergovernmental organisation, a training company and two sites that only a
search finds) are served on loopback, each on its own address, next to a search
endpoint that speaks SearXNG's JSON API.  ``expected.json`` is the answer key: which
pages are training offers, which trainings are published twice, and which pages
must never become candidates.

    from pipeline.demo import DemoWeb

    with DemoWeb() as web:
        web.search_url      # "http://127.0.0.1:41234"
        web.providers()     # entries shaped like config/providers.yaml
        web.expected()      # the answer key, with absolute URLs
"""

from __future__ import annotations

from .server import DemoWeb

__all__ = ["DemoWeb"]
