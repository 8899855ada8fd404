"""Piccolo's configuration module (PICCOLO_CONF=zaao_hx.piccolo_conf).

`zaao_hx.db.bind()` replaces DB with the engine the app or command uses; the value
below only serves Piccolo's own command line, from ZAAO_DATABASE_URL.
"""

import os

from piccolo.conf.apps import AppRegistry

from zaao_hx.db import engine_from_url

DB = engine_from_url(os.environ.get("ZAAO_DATABASE_URL") or "sqlite:///var/zaao.sqlite3")
APP_REGISTRY = AppRegistry(apps=["zaao_hx.piccolo_app"])
