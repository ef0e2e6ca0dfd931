"""Argon2 cost in the test suite.

Production hashes with RFC 9106's low-memory profile (t=3, 64 MiB, p=4): 0.1-0.25 s
of CPU per hash here, paid by every user a test creates (builders sign up through
`accounts.sign_up`) and every log-in. The suite swaps in argon2-cffi's cheapest
argon2id profile (same code paths, same hash format) for the whole session;
`PRODUCTION_HASHER`, kept as `market.accounts` set it up at import, is what
tests/web/test_password_hashing.py checks against RFC 9106. The browser tests' server
runs in its own process and keeps the production cost.
"""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.profiles import CHEAPEST

from market import accounts

PRODUCTION_HASHER: PasswordHasher = accounts._hasher
PRODUCTION_DUMMY_HASH: str = accounts._DUMMY_HASH
TEST_HASHER = PasswordHasher.from_parameters(CHEAPEST)


def use_cheap_hashing() -> None:
    accounts._hasher = TEST_HASHER
    accounts._DUMMY_HASH = TEST_HASHER.hash("not-a-real-password-0000")


def use_production_hashing() -> None:
    accounts._hasher = PRODUCTION_HASHER
    accounts._DUMMY_HASH = PRODUCTION_DUMMY_HASH
