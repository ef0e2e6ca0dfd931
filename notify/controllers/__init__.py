"""The notify app's web layer: the inbox, preferences and subscriptions, unsubscribe,
the public Atom feeds (NOTIFY_CONTROLLERS, gathered by composition.app)."""

from typing import Any

NOTIFY_CONTROLLERS: list[Any] = []
