"""`market serve`: uvicorn with the app factory."""

from __future__ import annotations

import argparse

import uvicorn


def command(args: argparse.Namespace) -> int:
    uvicorn.run(
        "composition.app:create_app",
        factory=True,
        host=args.host,
        port=args.port,
        workers=args.workers if not args.reload else 1,
        reload=args.reload,
        # The peer stays the real one; X-Forwarded-For counts only from the proxies in
        # MARKET_TRUSTED_PROXIES (market.web.proxies).
        proxy_headers=False,
        log_level="info",
    )
    return 0
