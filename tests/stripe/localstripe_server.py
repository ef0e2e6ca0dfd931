"""Run localstripe (a fake, stateful Stripe API) on 127.0.0.1:<port>.

    python -m tests.stripe.localstripe_server --port 8420

Its store is kept in memory only (localstripe pickles it to /tmp on every write by
default, which is slow and shared between runs).
"""

from __future__ import annotations

import argparse

import aiohttp.web
from localstripe import resources
from localstripe.server import app


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    resources.Store.dump_to_disk = lambda self: None  # type: ignore[method-assign]
    resources.Store.try_load_from_disk = lambda self: None  # type: ignore[method-assign]
    aiohttp.web.run_app(app, host="127.0.0.1", port=args.port, print=None, access_log=None)


if __name__ == "__main__":
    main()
