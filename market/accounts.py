"""Accounts: sign-up, authentication, profile, and the principal a request acts as."""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass, field

import anyio.to_thread
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from argon2.profiles import RFC_9106_LOW_MEMORY

from market import clock
from market.db import atomic
from market.errors import DomainError, NotFound, ValidationFailed
from market.tables import Membership, User

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


@dataclass(frozen=True, slots=True)
class MembershipView:
    organization_id: int
    kind: str
    status: str
    role: str
    name_zh: str
    name_en: str


@dataclass(frozen=True, slots=True)
class Principal:
    """Who a request acts as: the user and their organizations."""

    id: int
    email: str
    display_name: str
    platform_role: str
    locale: str
    memberships: tuple[MembershipView, ...] = field(default=())

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
    def roles(self) -> list[str]:
        """Platform roles of DESIGN §1 this principal holds, for display and guards."""
        names = {
            "department": "department",
            "social_org": "organization",
            "company": "sponsor",
            "foundation": "sponsor",
            "operator": "operator",
        }
        found = ["donor"]
        for m in self.memberships:
            if m.status == "verified" and names[m.kind] not in found:
                found.append(names[m.kind])
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


async def change_password(user_id: int, *, current: str, new: str) -> None:
    row = await User.select(User.password_hash).where(User.id == user_id).first()
    if row is None:
        raise NotFound("No such user.")
    if not await _password_matches(row["password_hash"], current):
        raise ValidationFailed.single("current", "The current password is wrong.")
    if len(new) < MIN_PASSWORD:
        raise ValidationFailed.single("new", "A password needs at least 10 characters.")
    new_hash = await hash_password_off_loop(new)
    async with atomic():
        await User.update({User.password_hash: new_hash}).where(User.id == user_id)
