"""X-Forwarded-For is believed only from JIUZHU_TRUSTED_PROXIES: otherwise any client could pick a
new address for every request and never meet the rate limit. From a trusted proxy the forwarded
address and scheme count (and the session cookie is `Secure` when the proxy says HTTPS)."""
from __future__ import annotations

import httpx


def codes(url: str, n: int) -> list[int]:
    return [httpx.get(url + "/api/v1/policies", headers={"X-Forwarded-For": f"10.0.0.{i}"}, timeout=30).status_code
            for i in range(n)]


def test_forwarded_for_only_from_trusted_proxies(workers):
    (untrusted,) = workers(1, JIUZHU_RATE_IP="1,3")
    (trusted,) = workers(1, JIUZHU_RATE_IP="1,3", JIUZHU_TRUSTED_PROXIES="127.0.0.1")
    assert 429 in codes(untrusted.url, 6), "a spoofed X-Forwarded-For must not escape the limit"
    assert codes(trusted.url, 6) == [200] * 6, "behind a trusted proxy each forwarded client has its own limit"
    proxied = httpx.get(trusted.url + "/", headers={"X-Forwarded-Proto": "https", "X-Forwarded-For": "10.9.9.9"})
    assert proxied.status_code == 200 and "secure" in proxied.headers["set-cookie"].lower()
