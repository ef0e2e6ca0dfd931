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
        proxy_headers=True,
        log_level="info",
    )
    return 0
