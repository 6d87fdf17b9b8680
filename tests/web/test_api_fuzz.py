"""Property test of the API from its own OpenAPI schema (schemathesis + hypothesis): no input gives a 500,
and every 422 carries field errors in the engine's shape."""
from __future__ import annotations

import tempfile
from pathlib import Path


import schemathesis  # a test dependency: a missing package must fail, not skip
from hypothesis import HealthCheck, given, settings  # noqa: E402

from web.app import create_app  # noqa: E402
from web.settings import Settings  # noqa: E402

from .conftest import ADMIN, FakeChat  # noqa: E402

_TMP = Path(tempfile.mkdtemp(prefix="jiuzhu-fuzz-"))
APP = create_app(Settings(db_path=str(_TMP / "fuzz.db"), admin_token=ADMIN), chat_service=FakeChat())
SCHEMA = schemathesis.openapi.from_asgi("/openapi.json", APP)


@given(case=SCHEMA.as_strategy())
@settings(max_examples=120, deadline=None, suppress_health_check=list(HealthCheck))
def test_no_server_errors(case):
    response = case.call()
    assert response.status_code < 500, (case.method, case.path, response.status_code, response.text[:300])
    if response.status_code == 422:
        detail = response.json()["detail"]
        assert detail and all({"field", "field_zh", "message", "message_zh"} <= set(e) for e in detail)
