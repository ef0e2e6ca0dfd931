"""Piccolo configuration: one engine from DATABASE_URL, the six apps."""

from piccolo.conf.apps import AppRegistry

from market.db import make_engine
from market.settings import get_settings

DB = make_engine(get_settings().database_url, get_settings().replica_urls)

APP_REGISTRY = AppRegistry(
    apps=[
        "market.piccolo_app",
        "bids.piccolo_app",
        "donors.piccolo_app",
        "opendata.piccolo_app",
        "notify.piccolo_app",
        "funds.piccolo_app",
    ]
)
