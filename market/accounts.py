# ruff: noqa: S608 - SQL text is built from constants and `{}` marks; values are bound parameters
"""Accounts: sign-up, authentication, profile, password change and reset, and the
principal a request acts as.

A password change or reset raises the user's `session_epoch`; a session remembers the
epoch it signed in under, and the principal middleware ends sessions whose epoch is
older — so every other session of that user ends at once. A reset link carries a
random token; only its sha256 is stored, it expires after 30 minutes and works once.
"""

from __future__ import annotations

import hashlib
import re
import secrets
import threading
from dataclasses import dataclass, field
from datetime import timedelta

import anyio.to_thread
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from argon2.profiles import RFC_9106_LOW_MEMORY

from market import clock
from market.db import atomic
from market.errors import DomainError, NotFound, ValidationFailed
from market.outbox import enqueue_email
from market.sql import execute, for_update
from market.tables import Membership, PasswordReset, User

# Argon2id with RFC 9106's second recommended option (t=3, m=64 MiB, p=4), which is
# also argon2-cffi's default; the first option needs 2 GiB of memory per hash. About
# 0.1-0.2 s per hash on a 2-core machine, so hashing runs in worker threads, never on the
# event loop, and at most HASH_SLOTS at a time (each takes 64 MiB).
PASSWORD_PROFILE = RFC_9106_LOW_MEMORY
HASH_SLOTS = 4


def production_hasher() -> PasswordHasher:
    return PasswordHasher.from_parameters(PASSWORD_PROFILE)


_hasher = production_hasher()
# Verified against when the e-mail is unknown, so both failures cost the same time.
_DUMMY_HASH = _hasher.hash("not-a-real-password-0000")
_hash_slots = threading.BoundedSemaphore(HASH_SLOTS)  # held in the worker thread: any loop
EMAIL_RE = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]{2,}$")
MIN_PASSWORD = 10
WRONG_CREDENTIALS = "Wrong e-mail or password."
RESET_VALID_FOR = timedelta(minutes=30)
RESETS_PER_WINDOW = 3  # reset e-mails to one account per RESET_VALID_FOR (no mail bombing)
RESET_INVALID = "This reset link is not valid: it has expired or was already used."


@dataclass(frozen=True, slots=True)
class MembershipView:
    organization_id: int
    kind: str
    status: str
    role: str
    name_zh: str
    name_en: str
    finance_of: int | None = None  # the district whose finance bureau this department is


@dataclass(frozen=True, slots=True)
class Principal:
    """Who a request acts as: the user and their organizations."""

    id: int
    email: str
    display_name: str
    platform_role: str
    locale: str
    memberships: tuple[MembershipView, ...] = field(default=())
    session_epoch: int = 0

    @property
    def is_auditor(self) -> bool:
        return self.platform_role == "auditor"

    @property
    def is_operator(self) -> bool:
        return any(m.kind == "operator" and m.status == "verified" for m in self.memberships)

    def org_ids(self, *kinds: str, verified: bool = True) -> list[int]:
        return [
            m.organization_id
            for m in self.memberships
            if (not kinds or m.kind in kinds) and (m.status == "verified" or not verified)
        ]

    def member_of(self, organization_id: int, *, admin: bool = False) -> bool:
        return any(
            m.organization_id == organization_id and (m.role == "admin" or not admin)
            for m in self.memberships
        )

    def has_kind(self, *kinds: str) -> bool:
        return bool(self.org_ids(*kinds))

    @property
    def finance_districts(self) -> list[int]:
        """The districts whose budget this user keeps: a member of a verified department
        that is a district's finance bureau (market/budget/access.py checks it again)."""
        return [
            m.finance_of
            for m in self.memberships
            if m.kind == "department" and m.status == "verified" and m.finance_of is not None
        ]

    @property
    def roles(self) -> list[str]:
        """Platform roles of DESIGN §1 this principal holds, for display and guards."""
        names = {
            "department": "department",
            "social_org": "organization",
            "company": "sponsor",
            "foundation": "sponsor",
            "operator": "operator",
            "community_fund": "fund_committee",
        }
        found = ["donor"]
        for m in self.memberships:
            if m.status == "verified" and names[m.kind] not in found:
                found.append(names[m.kind])
        if self.finance_districts:
            found.append("finance")
        if self.is_auditor:
            found.append("auditor")
        return found


def normalise_email(email: str) -> str:
    return email.strip().lower()


def hash_password(password: str) -> str:
    """Blocking (CPU-bound): async code awaits `hash_password_off_loop`."""
    return _hasher.hash(password)


def _hash_in_slot(password: str) -> str:
    with _hash_slots:
        return _hasher.hash(password)


def _matches_in_slot(stored: str, password: str) -> bool:
    with _hash_slots:
        try:
            return _hasher.verify(stored, password)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False


async def hash_password_off_loop(password: str) -> str:
    """Argon2 hashing in a worker thread, so other requests go on meanwhile."""
    return await anyio.to_thread.run_sync(_hash_in_slot, password)


async def _password_matches(stored: str, password: str) -> bool:
    """Argon2 verification in a worker thread; False on a mismatch or a malformed hash."""
    return await anyio.to_thread.run_sync(_matches_in_slot, stored, password)


def validate_signup(email: str, display_name: str, password: str) -> dict[str, str]:
    errors: dict[str, str] = {}
    if not EMAIL_RE.match(email):
        errors["email"] = "Enter a valid e-mail address."
    if not display_name.strip():
        errors["display_name"] = "Enter your name."
    elif len(display_name.strip()) > 100:
        errors["display_name"] = "A name can be at most 100 characters."
    if len(password) < MIN_PASSWORD:
        errors["password"] = "A password needs at least 10 characters."  # noqa: S105
    elif len(password) > 256:
        errors["password"] = "A password can be at most 256 characters."  # noqa: S105
    return errors


async def sign_up(
    *, email: str, display_name: str, password: str, locale: str = "", platform_role: str = ""
) -> int:
    """Create a user; returns the id. A duplicate e-mail is a field error."""
    email = normalise_email(email)
    errors = validate_signup(email, display_name, password)
    if errors:
        raise ValidationFailed(errors)
    password_hash = await hash_password_off_loop(password)
    async with atomic():
        if await User.exists().where(User.email == email):
            raise ValidationFailed.single("email", "An account with this e-mail already exists.")
        rows = await User.insert(
            User(
                email=email,
                display_name=display_name.strip(),
                password_hash=password_hash,
                platform_role=platform_role,
                locale=locale,
                created_at=clock.now(),
            )
        ).returning(User.id)
    return int(rows[0]["id"])


async def authenticate(email: str, password: str) -> int:
    """The user id for these credentials; one message for unknown e-mail and wrong password."""
    row = (
        await User.select(User.id, User.password_hash, User.active)
        .where(User.email == normalise_email(email))
        .first()
    )
    stored = row["password_hash"] if row else _DUMMY_HASH
    if not await _password_matches(stored, password):
        raise DomainError(WRONG_CREDENTIALS)
    if row is None or not row["active"]:
        raise DomainError(WRONG_CREDENTIALS)
    async with atomic():
        update: dict[object, object] = {User.last_login_at: clock.now()}
        if _hasher.check_needs_rehash(stored):
            update[User.password_hash] = await hash_password_off_loop(password)
        await User.update(update).where(User.id == row["id"])  # type: ignore[arg-type]
    return int(row["id"])


async def session_epoch(user_id: int) -> int:
    row = await User.select(User.session_epoch).where(User.id == user_id).first()
    return int(row["session_epoch"] or 0) if row else 0


async def load_principal(user_id: int) -> Principal | None:
    user = await User.select().where((User.id == user_id) & (User.active == True)).first()  # noqa: E712
    if user is None:
        return None
    rows = (
        await Membership.select(
            Membership.organization.id.as_alias("organization_id"),
            Membership.organization.kind.as_alias("kind"),
            Membership.organization.status.as_alias("status"),
            Membership.organization.name_zh.as_alias("name_zh"),
            Membership.organization.name_en.as_alias("name_en"),
            Membership.organization.finance_of.as_alias("finance_of"),
            Membership.role,
        )
        .where(Membership.user == user_id)
        .order_by(Membership.id)
    )
    return Principal(
        id=user["id"],
        email=user["email"],
        display_name=user["display_name"],
        platform_role=user["platform_role"],
        locale=user["locale"],
        memberships=tuple(MembershipView(**row) for row in rows),
        session_epoch=int(user["session_epoch"] or 0),
    )


async def update_profile(user_id: int, *, display_name: str, locale: str) -> None:
    display_name = display_name.strip()
    if not display_name:
        raise ValidationFailed.single("display_name", "Enter your name.")
    if len(display_name) > 100:
        raise ValidationFailed.single("display_name", "A name can be at most 100 characters.")
    if locale not in ("", "zh_Hans", "en"):
        raise ValidationFailed.single("locale", "Choose a language from the list.")
    async with atomic():
        updated = (
            await User.update({User.display_name: display_name, User.locale: locale})
            .where(User.id == user_id)
            .returning(User.id)
        )
        if not updated:
            raise NotFound("No such user.")


def _check_new_password(new: str, field_name: str) -> None:
    if len(new) < MIN_PASSWORD:
        raise ValidationFailed.single(field_name, "A password needs at least 10 characters.")
    if len(new) > 256:
        raise ValidationFailed.single(field_name, "A password can be at most 256 characters.")


async def _set_password(user_id: int, new_hash: str) -> int:
    """New hash and a new session epoch (ends every session signed in before); returns it.
    The hash is computed off the event loop before the transaction (`hash_password_off_loop`)."""
    rows = await execute(
        "SELECT session_epoch FROM market_user WHERE id = {}" + for_update(), user_id
    )
    epoch = int(rows[0]["session_epoch"] or 0) + 1
    await User.update({User.password_hash: new_hash, User.session_epoch: epoch}).where(
        User.id == user_id
    )
    return epoch


async def change_password(user_id: int, *, current: str, new: str) -> int:
    """Returns the new session epoch: the caller's session keeps it, every other ends."""
    row = await User.select(User.password_hash).where(User.id == user_id).first()
    if row is None:
        raise NotFound("No such user.")
    if not await _password_matches(row["password_hash"], current):
        raise ValidationFailed.single("current", "The current password is wrong.")
    _check_new_password(new, "new")
    new_hash = await hash_password_off_loop(new)
    async with atomic():
        return await _set_password(user_id, new_hash)


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def request_password_reset(email: str, *, base_url: str) -> None:
    """E-mail a one-time link to an active account with this address. Unknown addresses
    get the same answer and no e-mail (the caller says the same thing either way)."""
    address = normalise_email(email)
    if not EMAIL_RE.match(address):
        return
    user = await User.select(User.id, User.email, User.active).where(User.email == address).first()
    if user is None or not user["active"]:
        return
    now = clock.now()
    recent = await execute(
        'SELECT COUNT(*) AS n FROM market_password_reset WHERE "user" = {} AND created_at > {}',
        user["id"],
        now - RESET_VALID_FOR,
    )
    if int(recent[0]["n"]) >= RESETS_PER_WINDOW:
        return  # the same answer; the links already sent still work
    token = secrets.token_urlsafe(32)
    link = f"{base_url.rstrip('/')}/password-reset/{token}"
    async with atomic():
        await PasswordReset.insert(
            PasswordReset(
                user=user["id"],
                token_hash=_token_hash(token),
                created_at=now,
                expires_at=now + RESET_VALID_FOR,
            )
        )
        await enqueue_email(
            user["email"],
            "Reset your Public Good Market password / 重置公益市场密码",
            "Someone (hopefully you) asked to reset the password of this account.\n"
            f"Open this link within 30 minutes to choose a new one:\n\n{link}\n\n"
            "If it was not you, ignore this e-mail: nothing changes.\n\n"
            "有人申请重置此账户的密码。请在 30 分钟内打开上面的链接设置新密码；"
            "如非本人操作，请忽略本邮件。\n",
        )


async def reset_token_valid(token: str) -> bool:
    rows = await execute(
        "SELECT id FROM market_password_reset WHERE token_hash = {} AND used_at IS NULL"
        " AND expires_at > {}",
        _token_hash(token or ""),
        clock.now(),
    )
    return bool(rows)


async def reset_password(token: str, new: str) -> int:
    """Set a new password through a reset link; returns the user id. The link (and every
    other open link of that user) is used up, and every session of the user ends."""
    _check_new_password(new, "new")
    new_hash = await hash_password_off_loop(new)
    async with atomic():
        rows = await execute(
            'SELECT id, "user" AS uid FROM market_password_reset WHERE token_hash = {}'
            " AND used_at IS NULL AND expires_at > {}" + for_update(),
            _token_hash(token or ""),
            clock.now(),
        )
        if not rows:
            raise DomainError(RESET_INVALID)
        user_id = int(rows[0]["uid"])
        await PasswordReset.update({PasswordReset.used_at: clock.now()}).where(
            (PasswordReset.user == user_id) & (PasswordReset.used_at.is_null())
        )
        await _set_password(user_id, new_hash)
    return user_id
