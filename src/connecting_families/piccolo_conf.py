"""Where Piccolo's own machinery (migrations, `piccolo` commands) finds the app and engine.

`PICCOLO_CONF=connecting_families.piccolo_conf` points Piccolo here. The engine is not built at
import: `DB` is looked up when Piccolo asks for it, and is the engine the service installed with
`use_engine()`, or, for a developer's `piccolo migrations new`, one built from the environment.
"""

from __future__ import annotations

from piccolo.conf.apps import AppRegistry

from connecting_families.database.engine import AnyEngine

APP_REGISTRY = AppRegistry(apps=["connecting_families.piccolo_app"])


def __getattr__(name: str) -> AnyEngine:
    if name != "DB":
        raise AttributeError(name)
    from connecting_families.database import engine
    from connecting_families.settings import Settings

    return engine.installed_engine() or engine.create_engine(Settings.from_env().database)
