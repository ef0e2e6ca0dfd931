"""Bids web layer: parse → one service call → render."""

from typing import Any

from bids.controllers.bids import BidController
from bids.controllers.panel import PanelController

BID_CONTROLLERS: list[Any] = [BidController, PanelController]
