"""`jiuzhu serve`: the web app under uvicorn."""
from __future__ import annotations


def serve(host: str = "127.0.0.1", port: int = 8000) -> int:
    import uvicorn

    from bot.service import warm_up

    from .app import create_app

    warm_up()  # dictionaries and indexes load before the port opens, not inside a user's first message

    uvicorn.run(create_app(), host=host, port=port, proxy_headers=True, forwarded_allow_ips="127.0.0.1",
                server_header=False, log_level="info")
    return 0
