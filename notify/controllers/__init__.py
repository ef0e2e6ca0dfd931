"""The notify app's web layer: the inbox, preferences and subscriptions, unsubscribe,
the public Atom feeds, project updates, the development mail page (NOTIFY_CONTROLLERS,
gathered by composition.app)."""

from typing import Any

from notify.controllers.devmail import DevMailController
from notify.controllers.feeds import FeedController
from notify.controllers.inbox import InboxController
from notify.controllers.preferences import PreferencesController
from notify.controllers.subscriptions import SubscriptionController
from notify.controllers.unsubscribe import UnsubscribeController
from notify.controllers.updates import ProjectUpdateController

NOTIFY_CONTROLLERS: list[Any] = [
    InboxController,
    PreferencesController,
    SubscriptionController,
    UnsubscribeController,
    FeedController,
    ProjectUpdateController,
    DevMailController,
]
