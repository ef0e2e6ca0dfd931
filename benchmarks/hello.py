"""The reference every HTTP benchmark is measured against: a bare Litestar hello.

    granian --interface asgi benchmarks.hello:app
    uvicorn benchmarks.hello:app

No middleware, no database, no template: what a server stack plus Litestar cost for
one request, so a page's rate can be read as a fraction of it on the same stack.
"""

from __future__ import annotations

from litestar import Litestar, get


@get("/", sync_to_thread=False)
def hello() -> str:
    return "Hello, world!"


app = Litestar(route_handlers=[hello], debug=False)
