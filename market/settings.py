"""Settings, read once from the environment.

In tests the environment is set before the app is imported (see tests/conftest.py).
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass, field
from pathlib import Path

from market.errors import ConfigurationError

ROOT = Path(__file__).resolve().parent.parent
DEV_SECRET = "dev-only-insecure-secret-key-change-me"  # noqa: S105 - dev default, refused in prod


@dataclass(frozen=True, slots=True)
class Settings:
    env: str
    database_url: str
    redis_url: str
    secret_key: str
    bid_key: str
    var_dir: Path
    base_url: str
    session_idle_seconds: int
    session_absolute_seconds: int
    login_max_failures: int
    login_window_seconds: int
    default_currency: str = "CNY"
    ocds_prefix: str = "pgm001"
    district_population: int = 850_000
    tender_min_window_days: int = 3  # least time left to bid after publishing or amending
    stripe_secret_key: str = ""
    stripe_publishable_key: str = ""
    stripe_webhook_secret: str = ""
    stripe_api_base: str = ""
    languages: tuple[str, ...] = field(default=("zh_Hans", "en"))
    smtp_url: str = ""  # smtp://user:pass@host:587 (STARTTLS) or smtps://…; "" → .eml files
    mail_from: str = "Public Good Market <noreply@localhost>"
    # How long a delivery run holds the e-mails it claimed (market.outbox.delivery): a
    # run that dies leaves them to be sent again this long after it claimed them.
    outbox_lease_seconds: int = 120
    # Peers whose X-Forwarded-For is believed (addresses or CIDR networks); none by default.
    trusted_proxies: tuple[str, ...] = ()
    # The web app runs the job worker in its own process (market.jobs.worker.start_inline):
    # MARKET_WORKER_INLINE=1/0; on by default in dev only (production runs `market worker`).
    worker_inline: bool = False
    # MARKET_BASE_URL was set: published links use it rather than the request's base URL
    # (market.web.public_url).
    base_url_fixed: bool = False
    # Payment confirmation windows (donors.payments): an awaiting payment past its
    # window fails and gives back what was reserved for it.
    payment_window_card_minutes: int = 30  # Stripe and the sandbox
    payment_window_bank_days: int = 7  # bank transfers
    # Awaiting donations one client (session, else address) may hold on the public route.
    public_unpaid_limit: int = 3
    # Accelerated sandbox tenders (market/tenders/acceleration.py): MARKET_SANDBOX=1/0;
    # on by default in dev and test, never in prod (setting it there is a start-up error).
    sandbox: bool = False
    # Read replicas for public pages and open data (market.replicas): PostgreSQL URLs
    # (DATABASE_REPLICA_URLS, comma-separated), used only while each is known to be at
    # most `replica_max_lag_ms` behind the primary (MARKET_REPLICA_MAX_LAG_MS).
    replica_urls: tuple[str, ...] = ()
    replica_max_lag_ms: int = 1000
    # /metrics answers a peer on loopback, or anyone sending this bearer token
    # (MARKET_METRICS_TOKEN, at least 16 characters; unset: loopback only).
    metrics_token: str = ""
    # On SIGTERM `market serve` answers /readyz with 503 (and stops claiming jobs) for
    # this many seconds while it still serves, so a load balancer stops sending before
    # the socket closes (MARKET_DRAIN_SECONDS; 5 in prod, 0 elsewhere).
    drain_seconds: int = 0
    # The cache of rendered public pages for anonymous visitors (market.web.page_cache):
    # MARKET_PAGE_CACHE_MB per process, 0 turns it off.
    page_cache_mb: int = 64

    @property
    def dev(self) -> bool:
        return self.env == "dev"


def _int(env: dict[str, str], name: str, default: int) -> int:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise ConfigurationError(f"{name} must be an integer, got {raw!r}") from None


def _flag(env: dict[str, str], name: str, default: bool) -> bool:
    raw = env.get(name, "")
    if raw not in ("", "0", "1"):
        raise ConfigurationError(f"{name} must be 0 or 1, got {raw!r}")
    return default if raw == "" else raw == "1"


def _positive(env: dict[str, str], name: str, default: int) -> int:
    value = _int(env, name, default)
    if value < 1:
        raise ConfigurationError(f"{name} must be at least 1, got {value}")
    return value


def _networks(raw: str) -> tuple[str, ...]:
    """`MARKET_TRUSTED_PROXIES`: comma-separated addresses or networks, checked at start."""
    import ipaddress

    found = []
    for part in raw.split(","):
        if part.strip():
            try:
                found.append(str(ipaddress.ip_network(part.strip(), strict=False)))
            except ValueError:
                raise ConfigurationError(
                    f"MARKET_TRUSTED_PROXIES: {part.strip()!r} is not an address or network"
                ) from None
    return tuple(found)


def _replicas(env: dict[str, str], primary: str) -> tuple[str, ...]:
    """DATABASE_REPLICA_URLS: PostgreSQL URLs, only beside a PostgreSQL primary."""
    urls = tuple(u.strip() for u in env.get("DATABASE_REPLICA_URLS", "").split(",") if u.strip())
    for url in urls:
        if not url.startswith(("postgresql://", "postgres://")):
            raise ConfigurationError(
                f"DATABASE_REPLICA_URLS: {url.split('@')[-1]!r} is not a PostgreSQL URL"
            )
    if urls and not primary.startswith(("postgresql://", "postgres://")):
        raise ConfigurationError("DATABASE_REPLICA_URLS needs a PostgreSQL DATABASE_URL")
    return urls


def _metrics_token(env: dict[str, str]) -> str:
    token = env.get("MARKET_METRICS_TOKEN", "")
    if token and (len(token) < 16 or not token.isprintable() or " " in token):
        raise ConfigurationError(
            "MARKET_METRICS_TOKEN must be at least 16 printable characters without spaces"
        )
    return token


def _refuse_unsafe_prod(env: dict[str, str], secret: str, bid_key: str) -> None:
    """In prod: the secrets and the database set, no sandbox."""
    missing = [n for n, v in (("SECRET_KEY", secret), ("MARKET_BID_KEY", bid_key)) if not v]
    if missing:
        raise ConfigurationError(
            "Refusing to start in prod without " + ", ".join(missing) + " set in the environment"
        )
    if len(secret) < 32:
        raise ConfigurationError("SECRET_KEY must be at least 32 characters in prod")
    if not env.get("DATABASE_URL"):
        raise ConfigurationError("Refusing to start in prod without DATABASE_URL")
    if env.get("MARKET_SANDBOX") == "1":
        raise ConfigurationError(
            "MARKET_SANDBOX=1 is refused in prod: sandbox tenders run on a test instance"
        )


def load_settings(environ: dict[str, str] | None = None) -> Settings:
    """Build settings from the environment; in prod a missing secret is a start-up error."""
    env = dict(os.environ if environ is None else environ)
    mode = env.get("MARKET_ENV", "dev")
    if mode not in ("dev", "prod", "test"):
        raise ConfigurationError(f"MARKET_ENV must be dev, test or prod, got {mode!r}")
    var_dir = Path(env.get("MARKET_VAR_DIR", str(ROOT / "var")))
    secret = env.get("SECRET_KEY", "")
    bid_key = env.get("MARKET_BID_KEY", "")
    if mode == "prod":
        _refuse_unsafe_prod(env, secret, bid_key)
    secret = secret or DEV_SECRET
    # Outside prod a stable key derived from the secret, so demo bids survive restarts.
    bid_key = bid_key or hashlib.sha256(b"bid-key:" + secret.encode()).hexdigest()
    database_url = env.get("DATABASE_URL", f"sqlite:///{var_dir / 'market.sqlite3'}")
    drain = _int(env, "MARKET_DRAIN_SECONDS", 5 if mode == "prod" else 0)
    if not 0 <= drain <= 120:
        raise ConfigurationError(f"MARKET_DRAIN_SECONDS must be 0 to 120, got {drain}")
    return Settings(
        env=mode,
        database_url=database_url,
        redis_url=env.get("REDIS_URL", ""),
        secret_key=secret,
        bid_key=bid_key,
        var_dir=var_dir,
        base_url=env.get("MARKET_BASE_URL", "http://127.0.0.1:8000"),
        session_idle_seconds=_int(env, "MARKET_SESSION_IDLE", 30 * 60),
        session_absolute_seconds=_int(env, "MARKET_SESSION_ABSOLUTE", 12 * 3600),
        login_max_failures=_int(env, "MARKET_LOGIN_MAX_FAILURES", 5),
        login_window_seconds=_int(env, "MARKET_LOGIN_WINDOW", 15 * 60),
        default_currency=env.get("MARKET_CURRENCY", "CNY"),
        ocds_prefix=env.get("MARKET_OCDS_PREFIX", "pgm001"),
        district_population=_int(env, "MARKET_DISTRICT_POPULATION", 850_000),
        tender_min_window_days=_int(env, "MARKET_TENDER_MIN_WINDOW_DAYS", 3),
        stripe_secret_key=env.get("STRIPE_SECRET_KEY", ""),
        stripe_publishable_key=env.get("STRIPE_PUBLISHABLE_KEY", ""),
        stripe_webhook_secret=env.get("STRIPE_WEBHOOK_SECRET", ""),
        stripe_api_base=env.get("STRIPE_API_BASE", ""),
        worker_inline=_flag(env, "MARKET_WORKER_INLINE", mode == "dev"),
        sandbox=_flag(env, "MARKET_SANDBOX", mode != "prod"),
        smtp_url=env.get("MARKET_SMTP_URL", ""),
        mail_from=env.get("MARKET_MAIL_FROM", "Public Good Market <noreply@localhost>"),
        outbox_lease_seconds=_positive(env, "MARKET_OUTBOX_LEASE_SECONDS", 120),
        trusted_proxies=_networks(env.get("MARKET_TRUSTED_PROXIES", "")),
        base_url_fixed=bool(env.get("MARKET_BASE_URL")),
        payment_window_card_minutes=_positive(env, "MARKET_PAYMENT_WINDOW_CARD_MINUTES", 30),
        payment_window_bank_days=_positive(env, "MARKET_PAYMENT_WINDOW_BANK_DAYS", 7),
        public_unpaid_limit=_positive(env, "MARKET_PUBLIC_UNPAID_LIMIT", 3),
        replica_urls=_replicas(env, database_url),
        replica_max_lag_ms=_positive(env, "MARKET_REPLICA_MAX_LAG_MS", 1000),
        metrics_token=_metrics_token(env),
        drain_seconds=drain,
        page_cache_mb=_int(env, "MARKET_PAGE_CACHE_MB", 64),
    )


_settings: Settings | None = None


def get_settings() -> Settings:
    global _settings
    if _settings is None:
        _settings = load_settings()
    return _settings


def reset_settings(settings: Settings | None = None) -> None:
    """For tests and the CLI: replace the cached settings."""
    global _settings
    _settings = settings
