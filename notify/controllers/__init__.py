"""The notify app's web layer: the inbox, preferences and subscriptions, unsubscribe,
the public Atom feeds, the development mail page (NOTIFY_CONTROLLERS, gathered by
composition.app)."""

from typing import Any

from notify.controllers.devmail import DevMailController
from notify.controllers.unsubscribe import UnsubscribeController

NOTIFY_CONTROLLERS: list[Any] = [UnsubscribeController, DevMailController]
