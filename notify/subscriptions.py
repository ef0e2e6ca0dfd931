"""Tender subscriptions ("tell me about new tenders like this") and their matching.

A user keeps up to `rules.MAX_SUBSCRIPTIONS` subscriptions, each a category, a street or
community, a budget range or any mix of them (`rules.Terms`). When a tender is
published, `subscribers` finds the users with at least one subscription it matches.
"""

from __future__ import annotations

from dataclasses import dataclass

from market import clock
from market.db import atomic
from market.errors import NotFound, ValidationFailed
from market.sql import execute
from notify import rules
from notify.tables import Subscription


@dataclass(frozen=True, slots=True)
class Saved:
    id: int
    terms: rules.Terms


def _terms(row: dict[str, object]) -> rules.Terms:
    low, high = row["budget_min"], row["budget_max"]
    return rules.Terms(
        str(row["category"] or ""),
        str(row["area"] or ""),
        None if low is None else int(str(low)),
        None if high is None else int(str(high)),
    )


async def subscribers(*, category: str, area: str, budget: int) -> set[int]:
    """The users with a subscription this tender matches (one entry per user)."""
    rows = await execute(
        'SELECT "user" AS uid, category, area, budget_min, budget_max'
        " FROM notify_subscription WHERE category IN ('', {})",
        category,
    )
    return {
        int(r["uid"])
        for r in rows
        if rules.matches(_terms(dict(r)), category=category, area=area, budget=budget)
    }


async def of_user(user_id: int) -> list[Saved]:
    rows = await Subscription.select().where(Subscription.user == user_id).order_by(Subscription.id)
    return [Saved(int(r["id"]), _terms(r)) for r in rows]


async def subscribe(user_id: int, values: dict[str, str]) -> int:
    """Save a subscription from the form's values; refuses a duplicate and more than
    `rules.MAX_SUBSCRIPTIONS` (each refusal names a field)."""
    terms = rules.parse_terms(values)
    async with atomic():
        mine = await of_user(user_id)  # one user's rows; the form is theirs alone
        if any(saved.terms == terms for saved in mine):
            raise ValidationFailed.single("category", "You already subscribe to these tenders.")
        if len(mine) >= rules.MAX_SUBSCRIPTIONS:
            raise ValidationFailed.single(
                "category", "You can keep at most 20 subscriptions. Remove one first."
            )
        rows = await Subscription.insert(
            Subscription(
                user=user_id,
                category=terms.category,
                area=terms.area,
                budget_min=terms.budget_min,
                budget_max=terms.budget_max,
                created_at=clock.now(),
            )
        ).returning(Subscription.id)
    return int(rows[0]["id"])


async def unsubscribe(user_id: int, subscription_id: int) -> None:
    """Remove one of the user's subscriptions (another's is "not found")."""
    removed = await (
        Subscription.delete()
        .where((Subscription.id == subscription_id) & (Subscription.user == user_id))
        .returning(Subscription.id)
    )
    if not removed:
        raise NotFound("No such subscription.")
