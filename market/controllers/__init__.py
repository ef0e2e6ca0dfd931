"""Kernel web layer: accounts, organizations, tenders, the operator's desk, health."""

from typing import Any

from market.controllers.accounts import AccountController
from market.controllers.assets import AssetController
from market.controllers.finance import FinanceController
from market.controllers.operator import OperatorController
from market.controllers.organizations import OrganizationController
from market.controllers.system import SystemController
from market.controllers.tender_workspace import TenderWorkspaceController
from market.controllers.tenders import TenderController
from market.controllers.tenders_api import TenderApiController

MARKET_CONTROLLERS: list[Any] = [
    SystemController,
    AssetController,
    AccountController,
    OrganizationController,
    OperatorController,
    FinanceController,
    TenderController,
    TenderWorkspaceController,
    TenderApiController,
]
