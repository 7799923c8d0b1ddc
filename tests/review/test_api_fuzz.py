"""The JSON API fuzzed with schemathesis against its own OpenAPI description, served
for real by uvicorn: whatever the input, no 5xx, logged in or not.

Operations are driven one by one through ``as_strategy()`` and Hypothesis (the
schemathesis pytest plugin's ``from_fixture`` does not run under pytest 9).
"""

from __future__ import annotations

import schemathesis
from hypothesis import HealthCheck, given, settings

from tests.review.conftest import Client, LiveServer, client_for

EXAMPLES_PER_OPERATION = 40


def test_api_never_answers_5xx(live_sqlite: LiveServer) -> None:
    schema = schemathesis.openapi.from_url(f"{live_sqlite.url}/api/openapi.json")
    admin = client_for(live_sqlite, "adam")
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 10
    for operation in operations:
        fuzz(operation, live_sqlite, admin)


def fuzz(operation: object, live: LiveServer, admin: Client) -> None:
    cookie = f"offermap_session={admin.cookies.get('offermap_session')}"

    @given(case=operation.as_strategy())  # type: ignore[attr-defined]
    @settings(max_examples=EXAMPLES_PER_OPERATION, deadline=None, derandomize=True,
              suppress_health_check=list(HealthCheck), database=None)
    def check(case: schemathesis.Case) -> None:
        logged_in = case.call(base_url=live.url,
                              headers={"Cookie": cookie, "X-CSRF-Token": admin.csrf})
        assert logged_in.status_code < 500, (case.method, case.formatted_path, logged_in.text)
        anonymous = case.call(base_url=live.url)
        assert anonymous.status_code < 500, (case.method, case.formatted_path)
        if case.method.upper() == "POST":
            assert anonymous.status_code in (401, 403, 422), anonymous.status_code

    check()
