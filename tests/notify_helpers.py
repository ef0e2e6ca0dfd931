"""What the notification tests read back from the outbox."""

from __future__ import annotations

import json

from market.tables import Outbox


async def told(kind: str) -> dict[int, list[dict[str, object]]]:
    """user id → the params of each inbox message of `kind`, oldest first."""
    rows = (
        await Outbox.select(Outbox.user_id, Outbox.params)
        .where((Outbox.kind == kind) & (Outbox.channel == "inbox"))
        .order_by(Outbox.id)
    )
    found: dict[int, list[dict[str, object]]] = {}
    for row in rows:
        found.setdefault(int(row["user_id"]), []).append(json.loads(row["params"]))
    return found
