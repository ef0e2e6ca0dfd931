"""Sign up, log in, log out, profile."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.response import Redirect

from market import accounts
from market.errors import DomainError, ValidationFailed
from market.web import formdata, i18n, sessions
from market.web.auth import principal_of, public, requires_login
from market.web.errors import translated
from market.web.ratelimit import LoginLimiter
from market.web.render import flash, render, safe_next, see_other

TOO_MANY = "Too many failed log-ins. Wait a few minutes and try again."


def _client_ip(request: Request[Any, Any, Any]) -> str:
    return request.client.host if request.client else "unknown"


def _field_errors(exc: ValidationFailed) -> dict[str, str]:
    return {name: i18n.gettext(message) for name, message in exc.errors.items()}


class AccountController(Controller):
    include_in_schema = False

    @get("/login", guards=[public])
    async def login_page(self, request: Request[Any, Any, Any]) -> Response[str]:
        target = safe_next(request.query_params.get("next"), "/dashboard")
        return render(request, "market/login.html", {"next": target, "email": "", "error": None})

    @post("/login", guards=[public])
    async def login(self, request: Request[Any, Any, Any]) -> Response[Any]:
        form = await request.form()
        email = formdata.text(form, "email")
        password = formdata.text(form, "password")
        target = safe_next(formdata.text(form, "next"), "/dashboard")
        limiter: LoginLimiter = request.app.state.login_limiter
        ip = _client_ip(request)
        context = {"next": target, "email": email}
        if await limiter.blocked(email, ip):
            return render(
                request,
                "market/login.html",
                {**context, "error": i18n.gettext(TOO_MANY)},
                block="form",
                status=429,
            )
        try:
            user_id = await accounts.authenticate(email, password)
        except DomainError as exc:
            await limiter.failed(email, ip)
            return render(
                request,
                "market/login.html",
                {**context, "error": translated(exc)},
                block="form",
                status=422,
            )
        request.session.clear()
        request.session["user_id"] = user_id
        sessions.rotate(request.scope)
        return see_other(target)

    @post("/logout", guards=[public])
    async def logout(self, request: Request[Any, Any, Any]) -> Redirect:
        sessions.end(request.scope)
        return see_other("/")

    @get("/signup", guards=[public])
    async def signup_page(self, request: Request[Any, Any, Any]) -> Response[str]:
        return render(request, "market/signup.html", {"values": {}, "errors": {}})

    @post("/signup", guards=[public])
    async def signup(self, request: Request[Any, Any, Any]) -> Response[Any]:
        form = await request.form()
        values = {k: formdata.text(form, k) for k in ("email", "display_name")}
        try:
            user_id = await accounts.sign_up(
                email=values["email"],
                display_name=values["display_name"],
                password=formdata.text(form, "password"),
                locale=i18n.current(),
            )
        except ValidationFailed as exc:
            return render(
                request,
                "market/signup.html",
                {"values": values, "errors": _field_errors(exc)},
                block="form",
                status=422,
            )
        request.session.clear()
        request.session["user_id"] = user_id
        sessions.rotate(request.scope)
        flash(request, i18n.gettext("Welcome! Your account is ready."))
        return see_other("/dashboard")

    @get("/profile", guards=[requires_login])
    async def profile_page(self, request: Request[Any, Any, Any]) -> Response[str]:
        principal = principal_of(request)
        assert principal is not None  # noqa: S101 - the guard ensures it
        return render(
            request,
            "market/profile.html",
            {
                "values": {"display_name": principal.display_name, "locale": principal.locale},
                "errors": {},
                "password_errors": {},
            },
        )

    @post("/profile", guards=[requires_login])
    async def update_profile(self, request: Request[Any, Any, Any]) -> Response[Any]:
        principal = principal_of(request)
        assert principal is not None  # noqa: S101
        form = await request.form()
        values = {
            "display_name": formdata.text(form, "display_name"),
            "locale": formdata.text(form, "locale"),
        }
        try:
            await accounts.update_profile(principal.id, **values)
        except ValidationFailed as exc:
            return render(
                request,
                "market/profile.html",
                {
                    "values": values,
                    "errors": _field_errors(exc),
                    "password_errors": {},
                },
                block="profile_form",
                status=422,
            )
        flash(request, i18n.gettext("Profile saved."))
        return see_other("/profile")

    @post("/profile/password", guards=[requires_login])
    async def change_password(self, request: Request[Any, Any, Any]) -> Response[Any]:
        principal = principal_of(request)
        assert principal is not None  # noqa: S101
        form = await request.form()
        try:
            await accounts.change_password(
                principal.id, current=formdata.text(form, "current"), new=formdata.text(form, "new")
            )
        except ValidationFailed as exc:
            return render(
                request,
                "market/profile.html",
                {
                    "values": {"display_name": principal.display_name, "locale": principal.locale},
                    "errors": {},
                    "password_errors": _field_errors(exc),
                },
                block="password_form",
                status=422,
            )
        flash(request, i18n.gettext("Password changed."))
        return see_other("/profile")
