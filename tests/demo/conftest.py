from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from pipeline.demo import DemoWeb


@pytest.fixture(scope="module")
def web() -> Iterator[DemoWeb]:
    with DemoWeb() as running:
        yield running


@pytest.fixture(scope="module")
def client() -> Iterator[httpx.Client]:
    # trust_env=False: a proxy from the environment must not see loopback traffic.
    with httpx.Client(trust_env=False, timeout=10, follow_redirects=False) as http:
        yield http
