"""Prometheus metrics: requests and latency by route, estimates by region, FAQ misses.

Each app gets its own registry (tests create many apps). `/metrics` is an admin page: it needs
JIUZHU_ADMIN_TOKEN. Labels never carry personal data: the route template, not the URL.
"""
from __future__ import annotations

import time
from typing import Any

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, generate_latest


class Metrics:
    def __init__(self):
        self.registry = CollectorRegistry()
        self.requests = Counter("jiuzhu_requests_total", "HTTP requests", ["route", "method", "status"],
                                registry=self.registry)
        self.latency = Histogram("jiuzhu_request_seconds", "HTTP request latency", ["route"], registry=self.registry,
                                 buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5))
        self.estimates = Counter("jiuzhu_estimates_total", "Estimates computed", ["region", "status"],
                                 registry=self.registry)
        self.faq_misses = Counter("jiuzhu_faq_misses_total", "FAQ questions without a confident answer",
                                  registry=self.registry)
        self.chat_messages = Counter("jiuzhu_chat_messages_total", "Chat messages handled", ["door"],
                                     registry=self.registry)

        # labelled children, found once: `labels()` takes a lock and checks its arguments on each call
        self._children: dict[tuple, Any] = {}

    def child(self, metric, *values: str):
        """`metric.labels(*values)`, remembered: one entry per labelled series, which the registry
        keeps anyway (route templates, not URLs; statuses; region codes)."""
        key = (metric, values)
        found = self._children.get(key)
        if found is None:
            found = self._children[key] = metric.labels(*values)
        return found

    def render(self) -> tuple[bytes, str]:
        return generate_latest(self.registry), CONTENT_TYPE_LATEST


class MetricsMiddleware:
    """Pure ASGI: count and time every request under its route template (e.g. /policies/{region})."""

    def __init__(self, app, metrics: Metrics):
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        start = time.perf_counter()
        status = {"code": 500}

        async def send_and_record(message):
            if message["type"] == "http.response.start":
                status["code"] = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_and_record)
        finally:
            route = scope.get("route")
            name = getattr(route, "path", None) or ("/static" if scope["path"].startswith("/static/") else "(other)")
            self.metrics.child(self.metrics.requests, name, scope["method"], str(status["code"])).inc()
            self.metrics.child(self.metrics.latency, name).observe(time.perf_counter() - start)
