"""What `make cluster-test` found: per payment, whether the new primary holds its
donation exactly once (paid, donation and match posted once, one webhook event row, one
audit row), and the figures it prints."""

from __future__ import annotations

from dataclasses import dataclass

import asyncpg

from deploy.failover_load import Load

# What the new primary holds, per payment: paid once with its match, or not.
OUTCOME_SQL = """
SELECT p.id AS payment_id,
  (p.status = 'succeeded' AND d.status = 'paid' AND d.match_status = 'posted') AS paid,
  (SELECT count(*) FROM ledger_transfer t WHERE t.reference = 'donation:' || d.id
     AND t.kind = 'single' AND t.reason = 'donation') AS donation_posts,
  (SELECT count(*) FROM ledger_transfer t WHERE t.reference = 'donation:' || d.id
     AND t.kind = 'post' AND t.reason = 'match') AS match_posts,
  (SELECT count(*) FROM donors_webhook_event w WHERE w.payment = p.id) AS events,
  (SELECT count(*) FROM audit_event a WHERE a.action = 'donation.paid'
     AND a.object_type = 'donation' AND a.object_id = d.id::text) AS audited
FROM donors_payment p JOIN donors_donation d ON p.kind = 'donation' AND d.id = p.object_id
"""


@dataclass(frozen=True)
class Outcome:
    sent: int
    acknowledged: int
    present: int  # acknowledged and there exactly once: paid, donation and match posted once
    duplicated: int  # any donation posted, matched, recorded or audited twice
    lost: int  # acknowledged and not there exactly once
    paid_unsent: int  # paid without a delivery ever sent: must be 0


async def outcome(url: str, load: Load) -> Outcome:
    connection = await asyncpg.connect(url)
    try:
        rows = {int(r["payment_id"]): r for r in await connection.fetch(OUTCOME_SQL)}
    finally:
        await connection.close()

    def once(r: asyncpg.Record) -> bool:
        counts = (r["donation_posts"], r["match_posts"], r["events"], r["audited"])
        return bool(r["paid"]) and counts == (1, 1, 1, 1)

    def twice(r: asyncpg.Record) -> bool:
        counts = (r["donation_posts"], r["match_posts"], r["events"], r["audited"])
        return bool(max(counts) > 1)

    sent = load.deliveries[: load.sent]
    acked = [d for d in sent if d.acked]
    present = sum(once(rows[d.payment_id]) for d in acked)
    unsent = {d.payment_id for d in load.deliveries[load.sent :]}
    return Outcome(
        sent=len(sent),
        acknowledged=len(acked),
        present=present,
        duplicated=sum(twice(r) for r in rows.values()),
        lost=len(acked) - present,
        paid_unsent=sum(bool(rows[p]["paid"]) for p in unsent),
    )


def report(run: str, load: Load, result: Outcome, killed: str, now_primary: str) -> str:
    after = load.first_commit_after_kill
    failover = f"{after:.1f} s" if after is not None else "never"
    promoted = f"{load.promoted_after:.1f} s" if load.promoted_after is not None else "never"
    killed_at = load.killed_at or load.started
    before_rate = load.rate(load.started, killed_at)
    after_rate = load.rate(killed_at + (after or 0), load.ended)
    attempts = ", ".join(f"{k}: {v}" for k, v in sorted(load.attempts.items()))
    paid = sum(d.answer == "paid" for d in load.deliveries)
    duplicate = sum(d.answer == "duplicate" for d in load.deliveries)
    return (
        f"{run}: sent {result.sent} / acknowledged {result.acknowledged} /"
        f" present {result.present} / duplicated {result.duplicated} / lost {result.lost}\n"
        f"  failover: {failover} from SIGKILL of {killed}'s PostgreSQL to the first commit"
        f" on the new primary {now_primary} (Patroni had promoted it after {promoted})\n"
        f"  acknowledged per second: {before_rate:.1f} before the kill,"
        f" {after_rate:.1f} after the failover; {load.clients} clients, two app processes\n"
        f"  attempts [{attempts}]; answers: paid {paid}, duplicate {duplicate};"
        f" unanswered {load.unanswered}; paid but never sent {result.paid_unsent};"
        f" unexpected {len(load.unexpected)} {load.unexpected[:3]}"
    )


def failed(load: Load, result: Outcome, killed: str, now_primary: str) -> bool:
    return bool(
        result.lost
        or result.duplicated
        or result.paid_unsent
        or load.unanswered
        or load.unexpected
        or result.sent != result.acknowledged
        or load.first_commit_after_kill is None
        or now_primary in ("", killed)
    )
