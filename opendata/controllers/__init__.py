"""Open data web layer: parse → one read → render (pages, JSON API, OCDS, 360Giving)."""

from typing import Any

from opendata.controllers.audit import AuditApiController, AuditController
from opendata.controllers.budget import BudgetDataController, BudgetPages
from opendata.controllers.budget_api import BudgetApiController
from opendata.controllers.data import OpenDataController
from opendata.controllers.home import HomeController
from opendata.controllers.project import ProjectController
from opendata.controllers.project_api import ProjectApiController
from opendata.controllers.stats import StatisticsApi, StatisticsPages

OPENDATA_CONTROLLERS: list[Any] = [
    HomeController,
    OpenDataController,
    ProjectController,
    ProjectApiController,
    AuditController,
    AuditApiController,
    StatisticsPages,
    StatisticsApi,
    BudgetPages,
    BudgetDataController,
    BudgetApiController,
]
