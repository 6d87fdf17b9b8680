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

    @classmethod
    def from_env(cls) -> "Settings":
        return cls()
