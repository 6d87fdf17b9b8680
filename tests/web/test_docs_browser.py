"""/docs renders the API's operations in a real browser, offline (Swagger UI 5 from the installed
swagger-ui-bundle-v2 package: Swagger UI 4 showed only an error for an OpenAPI 3.1 document)."""
from __future__ import annotations

import time

from .test_browser import browser, desktop, server  # noqa: F401 - the module's fixtures


def test_docs_page_renders_the_operations(server, desktop):  # noqa: F811
    page = desktop
    outside: list[str] = []
    page.on("request", lambda req: outside.append(req.url) if not req.url.startswith((server, "data:")) else None)
    resp = page.goto(server + "/docs")
    assert resp.status == 200
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and page.locator(".opblock").count() < 5:
        time.sleep(0.2)
    summaries = page.locator(".opblock-summary-path").all_inner_texts()
    assert "/api/v1/estimate" in " ".join(summaries) and "/api/v1/chat" in " ".join(summaries), summaries
    assert page.locator(".errors-wrapper").count() == 0, page.locator(".errors-wrapper").all_inner_texts()
    assert "Unable to render" not in page.inner_text("body")
    version = page.evaluate("window.versions && window.versions.swaggerUi && window.versions.swaggerUi.version")
    assert version is None or str(version).startswith("5"), version
    assert outside == [], outside  # no CDN
