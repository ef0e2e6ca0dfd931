"""The kernel's tables: columns only. Foreign keys choose on_delete explicitly.

- accounts and organizations (users, organizations, memberships, password resets) and
  the outbox;
- tenders: foreign keys RESTRICT (tenders are public records); money columns are
  BigInt minor units in the tender's currency; the composite indexes of the public
  list's keyset pagination are raw SQL in the migration;
- the audit chain: rows are append-only (trigger in the migration);
- the ledger: every foreign key is RESTRICT; transfers are append-only. Constraints
  Piccolo cannot express (composite indexes, CHECKs on PostgreSQL, append-only
  triggers) are raw SQL in the migration.
"""

from __future__ import annotations

from piccolo.columns import (
    BigInt,
    BigSerial,
    Boolean,
    Bytea,
    ForeignKey,
    Integer,
    OnDelete,
    Text,
    Timestamptz,
    Varchar,
)
from piccolo.table import Table

# --- accounts, organizations, outbox --------------------------------------------


class User(Table, tablename="market_user"):
    email = Varchar(length=254, unique=True, index=True)
    display_name = Varchar(length=100)
    password_hash = Varchar(length=255)
    # "" for ordinary users; "auditor" for read-only oversight staff.
    platform_role = Varchar(length=20, default="")
    locale = Varchar(length=10, default="")
    active = Boolean(default=True)
    created_at = Timestamptz()
    last_login_at = Timestamptz(null=True, default=None)
    # Raised by a password change or reset: sessions signed in under an older value end.
    session_epoch = Integer(default=0)


class Place(Table, tablename="market_place"):
    """District → street → community (market/places/rules.py: codes and tiers)."""

    code = Varchar(length=12, unique=True)
    tier = Varchar(length=10)  # district | street | community
    parent = ForeignKey("self", on_delete=OnDelete.restrict, null=True, default=None)
    name_zh = Varchar(length=100)
    name_en = Varchar(length=100)
    created_at = Timestamptz()


class Organization(Table, tablename="market_organization"):
    # department | social_org | company | foundation | operator | community_fund
    kind = Varchar(length=20, index=True)
    name_zh = Varchar(length=200)
    name_en = Varchar(length=200, default="")
    uscc = Varchar(length=18, unique=True)
    category = Varchar(length=40, default="", index=True)  # social_org only
    rating = Varchar(length=2, default="")  # "" or 1A..5A
    status = Varchar(length=20, default="pending", index=True)
    area = Varchar(length=100, default="")  # street office the org is based in
    place = ForeignKey(Place, on_delete=OnDelete.restrict, null=True, default=None)
    # A department that is the finance bureau (财政局) of this district: its members
    # keep the district's budget (market/budget/access.py). None for everyone else.
    finance_of = ForeignKey(Place, on_delete=OnDelete.restrict, null=True, default=None)
    description_zh = Text(default="")
    description_en = Text(default="")
    contact_email = Varchar(length=254, default="")
    registered_year = Integer(null=True, default=None)
    created_at = Timestamptz()
    submitted_at = Timestamptz()
    decision_due_at = Timestamptz()
    decided_at = Timestamptz(null=True, default=None)
    decided_by = ForeignKey(User, on_delete=OnDelete.restrict, null=True, default=None)
    decision_reason = Text(default="")
    version = BigInt(default=1)


class Membership(Table, tablename="market_membership"):
    user = ForeignKey(User, on_delete=OnDelete.restrict, index=True)
    organization = ForeignKey(Organization, on_delete=OnDelete.restrict, index=True)
    role = Varchar(length=20, default="member")  # admin | member
    created_at = Timestamptz()


class PasswordReset(Table, tablename="market_password_reset"):
    """A one-time reset link: only the token's sha256 is stored."""

    user = ForeignKey(User, on_delete=OnDelete.restrict, index=True)
    token_hash = Varchar(length=64, unique=True)
    created_at = Timestamptz()
    expires_at = Timestamptz()
    used_at = Timestamptz(null=True, default=None)


class Outbox(Table, tablename="market_outbox"):
    """Messages written in the transaction of the change they report (market.outbox):
    e-mails delivered after it commits, and the in-app inbox. `key` is the idempotency
    key (event, recipient, channel); `kind` + `params` are rendered in `lang` when the
    message is delivered or shown ("raw" e-mails carry their own subject and body)."""

    key = Varchar(length=200, unique=True)
    channel = Varchar(length=20, default="email")
    kind = Varchar(length=60, default="raw")
    recipient = Varchar(length=254)
    user_id = Integer(null=True, default=None)  # no FK: a message outlives nothing it names
    lang = Varchar(length=10, default="")
    params = Text(default="{}")
    link = Varchar(length=500, default="")
    subject = Varchar(length=200)
    body = Text()
    created_at = Timestamptz()
    due_at = Timestamptz()  # the next delivery attempt is not before this
    sent_at = Timestamptz(null=True, default=None)
    read_at = Timestamptz(null=True, default=None)  # inbox: when the user read it
    attempts = Integer(default=0)
    last_error = Text(default="")
    failed_at = Timestamptz(null=True, default=None)  # dead-lettered: given up
    claim = Varchar(length=40, default="")  # the delivery run holding it until due_at


class JobRun(Table, tablename="market_job_run"):
    """One run of a time-driven job (market.jobs): who ran it, when, and what it did.
    A job is due again `every` after its last successful run's `started_at`."""

    job = Varchar(length=60)
    worker = Varchar(length=120)  # host:pid
    started_at = Timestamptz()
    finished_at = Timestamptz()
    outcome = Varchar(length=10)  # ok | error
    counts = Text(default="{}")  # JSON object of name → integer
    error = Text(default="")


# --- tenders -------------------------------------------------------------------


class Tender(Table, tablename="market_tender"):
    ocid = Varchar(length=60, null=True, default=None, unique=True)
    department = ForeignKey(Organization, on_delete=OnDelete.restrict, index=True)
    created_by = ForeignKey(User, on_delete=OnDelete.restrict)
    title_zh = Varchar(length=200, default="")
    title_en = Varchar(length=200, default="")
    description_zh = Text(default="")
    description_en = Text(default="")
    category = Varchar(length=40)
    area_level = Varchar(length=12)  # district | street | community
    area = Varchar(length=100)
    place = ForeignKey(Place, on_delete=OnDelete.restrict, null=True, default=None)
    # The budget line the government budget is held against (market/budget/); None for
    # a tender from before budget lines, whose budget is the department's account.
    budget_line = ForeignKey("BudgetLine", on_delete=OnDelete.restrict, null=True, default=None)
    # A community fund's call for proposals (the funds app): its budget is held from
    # its place's fund, `community:{place}:fund`, and `department` is the fund's own
    # organization (kind community_fund). Set at creation, never changed.
    community_fund = Boolean(default=False)
    currency = Varchar(length=3, default="CNY")
    budget = BigInt()  # government budget, held from department:{id}:budget at publication
    goal_corporate = BigInt(default=0)
    goal_foundation = BigInt(default=0)
    goal_public = BigInt(default=0)
    goal_own = BigInt(default=0)
    min_bids = Integer(default=1)
    criteria = Text(default="[]")  # JSON [{"key", "name", "weight", "is_price"}]
    enquiry_end = Timestamptz()
    bid_deadline = Timestamptz()
    opening_at = Timestamptz()
    # 1 = real time; > 1 a sandbox (training) tender whose periods run that many times
    # faster (market/tenders/acceleration.py); never > 1 in prod, never open data.
    acceleration = Integer(default=1)
    # draft | published | tendering | evaluation | awarded | contracted | completed
    # | cancelled | unsuccessful | terminated
    status = Varchar(length=20, default="draft")
    published_at = Timestamptz(null=True, default=None)
    status_changed_at = Timestamptz()
    amended_at = Timestamptz(null=True, default=None)  # last change of conditions
    amendment_count = Integer(default=0)
    cancel_reason = Text(default="")
    budget_hold_key = Varchar(length=160, default="")
    qa_salt = Varchar(length=32)
    version = BigInt(default=1)
    created_at = Timestamptz()
    updated_at = Timestamptz()


class Appropriation(Table, tablename="market_budget_appropriation"):
    """A year's community-building appropriation for a district, as the budget law
    voted it: `budget:{year}:p{place}:appropriation` (market.ledger.codes) holds what is
    not yet allocated to a line."""

    year = Integer()
    place = ForeignKey(Place, on_delete=OnDelete.restrict)  # the district
    currency = Varchar(length=3, default="CNY")
    amount = BigInt()
    reference = Varchar(length=200, default="")  # the budget document, e.g. 明财预〔2026〕1号
    recorded_at = Timestamptz()
    recorded_by = ForeignKey(User, on_delete=OnDelete.restrict)
    # When the year-end job returned the closed year's free line balances (None before).
    year_end_at = Timestamptz(null=True, default=None)


class BudgetLine(Table, tablename="market_budget_line"):
    """One line of a year's appropriation: a place (street or community, or the
    district itself) and a priority category; its money is the ledger account
    `budget:line:{id}`, so a line can never be overdrawn."""

    appropriation = ForeignKey(Appropriation, on_delete=OnDelete.restrict, index=True)
    year = Integer()
    place = ForeignKey(Place, on_delete=OnDelete.restrict, index=True)
    category = Varchar(length=40)
    created_at = Timestamptz()
    created_by = ForeignKey(User, on_delete=OnDelete.restrict)


class TenderDocument(Table, tablename="market_tender_document"):
    tender = ForeignKey(Tender, on_delete=OnDelete.restrict, index=True)
    title = Varchar(length=200)
    filename = Varchar(length=200)
    kind = Varchar(length=8)  # pdf | png | jpeg | docx | xlsx (detected from content)
    content_type = Varchar(length=100)
    size = BigInt()
    sha256 = Varchar(length=64)
    content = Bytea()
    uploaded_by = ForeignKey(User, on_delete=OnDelete.restrict)
    uploaded_at = Timestamptz()


class TenderQuestion(Table, tablename="market_tender_question"):
    tender = ForeignKey(Tender, on_delete=OnDelete.restrict, index=True)
    asker_org = ForeignKey(Organization, on_delete=OnDelete.restrict)
    asker_user = ForeignKey(User, on_delete=OnDelete.restrict)
    asker_tag = Varchar(length=16)  # HMAC of the org within this tender: linkable, anonymous
    question = Text()
    answer = Text(default="")
    asked_at = Timestamptz()
    answered_at = Timestamptz(null=True, default=None)
    answered_by = ForeignKey(User, on_delete=OnDelete.restrict, null=True, default=None)


class TenderRevision(Table, tablename="market_tender_revision"):
    """Every change of a tender, with author and time (ProZorro revisions): the public
    timeline, and the durable record other apps read (e.g. amendments for bids)."""

    tender = ForeignKey(Tender, on_delete=OnDelete.restrict, index=True)
    at = Timestamptz()
    actor = Varchar(length=120)
    action = Varchar(length=40)  # create | edit | publish | amend | cancel | status | ...
    from_status = Varchar(length=20, default="")
    to_status = Varchar(length=20, default="")
    note = Text(default="")
    changes = Text(default="{}")  # canonical JSON


# --- audit chain ---------------------------------------------------------------


class AuditEvent(Table, tablename="audit_event"):
    """One event of the public chain. Appended queued: `id` is its identity at once;
    seq, prev_hash and hash stay NULL until the sequencer chains it (market.audit)."""

    id = BigSerial(primary_key=True)
    seq = BigInt(unique=True, null=True, default=None)
    at = Timestamptz()
    actor = Varchar(length=120)
    action = Varchar(length=80)
    object_type = Varchar(length=40)
    object_id = Varchar(length=120)
    change = Text()  # canonical JSON
    prev_hash = Varchar(length=64, null=True, default=None)
    hash = Varchar(length=64, null=True, default=None)


class AuditHead(Table, tablename="audit_head"):
    """One row (id 1): the chain's last sequence number and hash, moved by the sequencer."""

    seq = BigInt(default=0)
    hash = Varchar(length=64)
    prev_hash = Varchar(length=64, default="")


class AuditSealedEvent(Table, tablename="audit_sealed_event"):
    """Events that must stay out of the public chain's sight until a moment (a tender's
    bid opening): one log per `scope` ("tender:42"), positions 0, 1, 2 …; each leaf
    hash is RFC 6962's H(0x00 ‖ canonical JSON). At the moment the log's count and
    Merkle root enter the public chain as one row (`sealed_log.anchor`)."""

    id = BigSerial(primary_key=True)
    scope = Varchar(length=60, index=True)
    position = Integer()
    at = Timestamptz()
    actor = Varchar(length=120)
    action = Varchar(length=80)
    object_type = Varchar(length=40)
    object_id = Varchar(length=120)
    change = Text()  # canonical JSON
    leaf_hash = Varchar(length=64)


# --- ledger --------------------------------------------------------------------


class LedgerAccount(Table, tablename="ledger_account"):
    code = Varchar(length=120, unique=True)
    currency = Varchar(length=3)
    flags = Integer(default=0)  # rules.Flags bitmask
    debits_pending = BigInt(default=0)
    debits_posted = BigInt(default=0)
    credits_pending = BigInt(default=0)
    credits_posted = BigInt(default=0)
    created_at = Timestamptz()


class LedgerTransfer(Table, tablename="ledger_transfer"):
    id = BigSerial(primary_key=True)
    # The idempotency-derived transfer id chosen by the caller ("donation:42").
    key = Varchar(length=160, unique=True)
    debit_account = ForeignKey(LedgerAccount, on_delete=OnDelete.restrict)
    credit_account = ForeignKey(LedgerAccount, on_delete=OnDelete.restrict)
    amount = BigInt()
    currency = Varchar(length=3)
    kind = Varchar(length=8)  # single | pending | post | void
    # Unique: a pending transfer is resolved (posted or voided) at most once.
    pending = ForeignKey(  # type: ignore[var-annotated]
        "self", on_delete=OnDelete.restrict, null=True, default=None, unique=True
    )
    reason = Varchar(length=40)
    reference = Varchar(length=120, default="", index=True)
    tender_id = Integer(null=True, default=None)
    source = Varchar(length=12, null=True, default=None)
    created_at = Timestamptz()


class LedgerRejection(Table, tablename="ledger_rejection"):
    """A transfer id that failed for a state-dependent reason; retries fail the same way."""

    key = Varchar(length=160, unique=True)
    code = Varchar(length=40)
    message = Text()
    body = Text()
    created_at = Timestamptz()


class LedgerOperation(Table, tablename="ledger_operation"):
    """Idempotency record of a multi-transfer escrow operation (release, return-all)."""

    key = Varchar(length=160, unique=True)
    kind = Varchar(length=20)
    body = Text()
    result = Text()
    created_at = Timestamptz()
