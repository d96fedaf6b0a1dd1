"""Hold each programme on the version of its rule set it is judged by today.

Until now a programme named its rule set by id alone, and the highest version installed
judged it: installing `tf2015@3` switched every tf2015 programme without anyone deciding so.
Programmes now hold `id@version` (`programmes.ruleset_versions`); this gives each existing one
the version it resolves to today, with the plugins installed (and not disabled) now.
"""

import os

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

from connecting_families.hooks.host import PluginHost
from connecting_families.programmes.ruleset_versions import pin_rulesets, unpin_rulesets

ID = "2026-12-04T18:10:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "programmes hold the version of their rule set"


async def forwards():
    manager = MigrationManager(
        migration_id=ID, app_name="connecting_families", description=DESCRIPTION
    )

    async def pin():
        disabled = os.environ.get("CF_DISABLED_PLUGINS", "").split(",")
        await pin_rulesets(PluginHost(name.strip() for name in disabled if name.strip()))

    manager.add_raw(pin)
    manager.add_raw_backwards(unpin_rulesets)
    return manager
