"""Health, readiness, the jobs' latest runs and the e-mail queue (operators), and the
language switch.

`/healthz` is liveness (the process answers, no database touched); `/readyz` asks the
database and answers 503 with `Retry-After` while it cannot be reached, and while the
server drains before stopping (market.draining). `/metrics` is Prometheus's, for a
scraper on this machine or one with the metrics token.
"""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.datastructures import Cookie
from litestar.response import Redirect

from market import draining, jobs
from market.db import engine
from market.jobs.runner import status
from market.metrics import CONTENT_TYPE, exposition
from market.metrics_state import Snapshot, snapshot
from market.outbox.status import queue_status
from market.web import formdata, i18n
from market.web.auth import public, requires_metrics_reader, requires_operator
from market.web.errors import RETRY_AFTER_SECONDS
from market.web.render import safe_next


class SystemController(Controller):
    include_in_schema = False

    @get("/healthz", guards=[public])
    async def healthz(self) -> dict[str, str]:
        return {"status": "ok"}

    @get("/readyz", guards=[public])
    async def readyz(self) -> Response[dict[str, str]]:
        if draining.draining():  # stopping: send new requests elsewhere
            return Response(
                {"status": "draining"},
                status_code=503,
                headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
            )
        try:
            await engine().run_ddl("SELECT 1")
        except Exception as exc:  # a down database is the answer, not an error
            return Response(
                {"status": "unavailable", "database": type(exc).__name__},
                status_code=503,
                headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
            )
        return Response({"status": "ready", "database": "ok"})

    @get("/metrics", guards=[requires_metrics_reader], media_type=CONTENT_TYPE)
    async def metrics(self) -> Response[bytes]:
        """Prometheus text format: every server process's counters and histograms, and
        what the database says now (market.metrics, market.metrics_state)."""
        scraped = Snapshot(await snapshot())
        return Response(exposition(scraped), media_type=CONTENT_TYPE)

    @get("/api/v1/system/jobs", guards=[requires_operator])
    async def job_runs(self) -> list[dict[str, object]]:
        """Every registered job: interval, next due time and latest run (`market worker`)."""
        return await status(jobs.registered())

    @get("/api/v1/system/outbox", guards=[requires_operator])
    async def outbox(self) -> dict[str, object]:
        """The e-mail queue: waiting, retrying and dead-lettered messages (latest 50)."""
        return await queue_status()

    @post("/lang", guards=[public])
    async def switch_language(self, request: Request[Any, Any, Any]) -> Redirect:
        form = await request.form()
        language = i18n.normalise(formdata.text(form, "lang")) or i18n.DEFAULT
        target = safe_next(
            formdata.text(form, "next")
            or request.headers.get("referer", "").split(request.url.netloc, 1)[-1]
            or "/"
        )
        return Redirect(
            path=target,
            status_code=303,
            cookies=[_language_cookie(language)],
        )


def _language_cookie(language: str) -> Cookie:
    """The chosen language, kept a year."""
    return Cookie(
        key=i18n.COOKIE,
        value=language,
        max_age=365 * 86400,
        samesite="lax",
        httponly=True,
        path="/",
    )
