"""Sign up, log in, log out, profile, password change and reset by e-mailed link."""

from __future__ import annotations

import logging
from functools import partial
from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.params import FromPath
from litestar.response import Redirect

from market import accounts, outbox
from market.errors import DomainError, ValidationFailed
from market.settings import get_settings
from market.web import formdata, i18n, sessions
from market.web.auth import principal_of, public, requires_login
from market.web.form_errors import shows_form_errors
from market.web.proxies import client_address
from market.web.ratelimit import LoginLimiter
from market.web.render import flash, render, safe_next, see_other
from market.web.security import bind_csrf

log = logging.getLogger("market.web")
TOO_MANY = "Too many failed log-ins from here. Wait %(seconds)s seconds and try again."


RESET = "market/password_reset.html"
PROFILE = "market/profile.html"
RESET_NEW = "market/password_reset_new.html"


async def _signup_form(
    request: Request[Any, Any, Any], values: dict[str, str], errors: dict[str, str]
) -> Response[Any]:
    context = {"values": values, "errors": errors}
    return render(request, "market/signup.html", context, block="form", status=422)


async def _profile_form(
    request: Request[Any, Any, Any],
    values: dict[str, str],
    block: str,
    errors_key: str,
    errors: dict[str, str],
) -> Response[Any]:
    """The profile page again with one of its two forms' errors (422)."""
    context = {"values": values, "errors": {}, "password_errors": {}, errors_key: errors}
    return render(request, PROFILE, context, block=block, status=422)


async def _new_password_form(
    request: Request[Any, Any, Any], token: str, invalid: bool, errors: dict[str, str]
) -> Response[Any]:
    """The new-password form again (422): its field errors, or "this link is not valid"
    (any other refusal: unknown, used or expired token)."""
    context = {"token": token, "invalid": invalid, "errors": {} if invalid else errors}
    return render(request, RESET_NEW, context, block="form", status=422)


async def _sign_in(request: Request[Any, Any, Any], user_id: int) -> None:
    """A fresh session id bound to the user's current session epoch."""
    request.session.clear()
    request.session["user_id"] = user_id
    request.session["epoch"] = await accounts.session_epoch(user_id)
    sessions.rotate(request.scope)
    bind_csrf(request)


async def _deliver_mail() -> None:
    """Send what this request put in the outbox; what fails stays for `market outbox
    deliver` (the request's answer does not depend on the mail server)."""
    try:
        await outbox.deliver_pending()
    except Exception:
        log.exception("outbox delivery after a request failed")


async def _authenticate(
    request: Request[Any, Any, Any], email: str, password: str, context: dict[str, Any]
) -> int | Response[Any]:
    """The user's id, or the login form again: 429 while the limiter says wait, 422 for
    a refused password (the limiter counts it; the form travels as `Redisplayed`)."""
    limiter: LoginLimiter = request.app.state.login_limiter
    ip = client_address(request)
    wait = await limiter.wait_seconds(email, ip)
    if wait:
        response = render(
            request,
            "market/login.html",
            {**context, "error": i18n.gettext(TOO_MANY) % {"seconds": wait}},
            block="form",
            status=429,
        )
        response.headers["Retry-After"] = str(wait)
        return response

    async def refused(errors: dict[str, str]) -> Response[Any]:
        await limiter.failed(email, ip)
        error = " ".join(errors.values())
        return render(
            request, "market/login.html", {**context, "error": error}, block="form", status=422
        )

    async with shows_form_errors(refused, passthrough=()):
        user_id = await accounts.authenticate(email, password)
    await limiter.succeeded(email, ip)
    return user_id


class AccountController(Controller):
    include_in_schema = False

    @get("/login", guards=[public])
    async def login_page(self, request: Request[Any, Any, Any]) -> Response[str]:
        target = safe_next(request.query_params.get("next"), "/dashboard")
        context: dict[str, Any] = {"next": target, "email": "", "error": None}
        if request.query_params.get("reset") == "done":
            # After a password reset the session has ended, so the message cannot wait in
            # it: the redirect names it instead (it says nothing about any account).
            message = i18n.gettext("Your password is changed. Log in with the new one.")
            context["flash"] = {"message": message, "kind": "ok"}
        return render(request, "market/login.html", context)

    @post("/login", guards=[public])
    async def login(self, request: Request[Any, Any, Any]) -> Response[Any]:
        form = await request.form()
        email = formdata.text(form, "email")
        password = formdata.text(form, "password")
        target = safe_next(formdata.text(form, "next"), "/dashboard")
        outcome = await _authenticate(request, email, password, {"next": target, "email": email})
        if isinstance(outcome, Response):
            return outcome
        await _sign_in(request, outcome)
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
        redisplay = partial(_signup_form, request, values)
        async with shows_form_errors(redisplay, catch=(ValidationFailed,)):
            user_id = await accounts.sign_up(
                email=values["email"],
                display_name=values["display_name"],
                password=formdata.text(form, "password"),
                locale=i18n.current(),
            )
        await _sign_in(request, user_id)
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
        redisplay = partial(_profile_form, request, values, "profile_form", "errors")
        async with shows_form_errors(redisplay, catch=(ValidationFailed,)):
            await accounts.update_profile(principal.id, **values)
        flash(request, i18n.gettext("Profile saved."))
        return see_other("/profile")

    @post("/profile/password", guards=[requires_login])
    async def change_password(self, request: Request[Any, Any, Any]) -> Response[Any]:
        principal = principal_of(request)
        assert principal is not None  # noqa: S101
        form = await request.form()
        values = {"display_name": principal.display_name, "locale": principal.locale}
        redisplay = partial(_profile_form, request, values, "password_form", "password_errors")
        async with shows_form_errors(redisplay, catch=(ValidationFailed,)):
            epoch = await accounts.change_password(
                principal.id, current=formdata.text(form, "current"), new=formdata.text(form, "new")
            )
        # This session continues under the new epoch (and a new id); every other ends.
        request.session["epoch"] = epoch
        sessions.rotate(request.scope)
        bind_csrf(request)
        flash(request, i18n.gettext("Password changed. You were signed out everywhere else."))
        return see_other("/profile")

    @get("/password-reset", guards=[public])
    async def reset_page(self, request: Request[Any, Any, Any]) -> Response[str]:
        return render(request, RESET, {"sent": False})

    @post("/password-reset", guards=[public])
    async def request_reset(self, request: Request[Any, Any, Any]) -> Response[str]:
        form = await request.form()
        email = formdata.text(form, "email")[:254]
        await accounts.request_password_reset(email, base_url=get_settings().base_url)
        await _deliver_mail()
        # The same answer whether or not an account uses the address.
        return render(request, RESET, {"sent": True}, block="form")

    @get("/password-reset/{token:str}", guards=[public])
    async def new_password_page(
        self, request: Request[Any, Any, Any], token: FromPath[str]
    ) -> Response[str]:
        valid = len(token) <= 64 and await accounts.reset_token_valid(token)
        context = {"token": token, "invalid": not valid, "errors": {}}
        return render(request, RESET_NEW, context)

    @post("/password-reset/{token:str}", guards=[public])
    async def set_new_password(
        self, request: Request[Any, Any, Any], token: FromPath[str]
    ) -> Response[Any]:
        form = await request.form()
        link_invalid = partial(_new_password_form, request, token, True)
        form_again = partial(_new_password_form, request, token, False)
        async with (
            shows_form_errors(link_invalid, passthrough=()),
            shows_form_errors(form_again, catch=(ValidationFailed,)),
        ):
            if len(token) > 64:
                raise DomainError(accounts.RESET_INVALID)
            await accounts.reset_password(token, formdata.text(form, "new"))
        sessions.end(request.scope)
        return see_other("/login?reset=done")
