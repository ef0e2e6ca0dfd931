"""The composition root: the only package that imports every app.

`market/` (the kernel) never imports `bids`, `donors` or `opendata`; the apps never
register anything when imported. This package puts them together explicitly:

- `composition.wiring.wire()` registers the payment kinds, the tender hooks and the
  audit-chain hooks (idempotent; called by `create_app`, the CLI and the tests);
- `composition.app.create_app()` builds the Litestar app from every app's controllers;
- `composition.cli` is the `market` console script; `composition.demo` loads the
  demo district across the apps.
"""
