"""Configuration of the web app, from the environment (contract.md "Configuration")."""
from __future__ import annotations

import os
from dataclasses import dataclass, field


def _env(name: str) -> str | None:
    value = os.environ.get(name, "").strip()
    return value or None


@dataclass
class Settings:
    db_path: str = field(default_factory=lambda: _env("JIUZHU_DB") or "jiuzhu.db")
    admin_token: str | None = field(default_factory=lambda: _env("JIUZHU_ADMIN_TOKEN"))
    max_body: int = 256 * 1024          # JSON API requests and forms
    max_upload: int = 4 * 1024 * 1024   # a roster CSV
    max_rows: int = 5000                # rows in one roster
    faq_top_max: int = 20
    # the WeChat Official Account door (contract.md "WeChat Official Account door"); no token: no door
    wechat_token: str | None = field(default_factory=lambda: _env("WECHAT_TOKEN"))
    wechat_appid: str | None = field(default_factory=lambda: _env("WECHAT_APPID"))
    wechat_secret: str | None = field(default_factory=lambda: _env("WECHAT_SECRET"))
    wechat_aes_key: str | None = field(default_factory=lambda: _env("WECHAT_AES_KEY"))
    wechat_api_url: str = field(default_factory=lambda: _env("WECHAT_API_URL") or "https://api.weixin.qq.com")
    # proxies whose X-Forwarded-For / X-Forwarded-Proto are believed (comma-separated IPs or
    # networks); unset: none, every client is who its connection says
    trusted_proxies: str | None = field(default_factory=lambda: _env("JIUZHU_TRUSTED_PROXIES"))

    @classmethod
    def from_env(cls) -> "Settings":
        return cls()


def config_problem() -> str | None:
    """A configuration `jiuzhu serve` must refuse to start with (the message says what to set)."""
    if _env("REDIS_URL") and not _env("JIUZHU_SECRET"):
        return ("用 REDIS_URL 时必须设置 JIUZHU_SECRET（每个进程相同的一串随机字符，例如 `openssl rand -hex 32`）。"
                " / JIUZHU_SECRET is required with REDIS_URL: set the same random string for every worker.")
    return None
