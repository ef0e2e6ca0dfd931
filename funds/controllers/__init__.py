"""The funds app's pages (gathered by `composition.app.route_handlers`)."""

from funds.controllers import filters
from funds.controllers.committee import CommitteeController
from funds.controllers.communities import CommunityController
from funds.controllers.grants import GrantController

FUND_CONTROLLERS = [CommunityController, CommitteeController, GrantController]
__all__ = ["FUND_CONTROLLERS", "filters"]
