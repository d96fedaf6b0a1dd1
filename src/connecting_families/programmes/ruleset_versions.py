"""Which version of its rule set a programme is judged by.

A programme holds its rule set as `id@version` (in `Programme.ruleset_id`), set when it is
created and moved only by `programme upgrade-ruleset`: a newer version installed later
(`tf2015@4`) judges no family until a programme manager has compared the verdicts and moved the
programme on. A bare id (a programme from before versions were held, or a row written by hand)
is judged by the highest version installed, as every programme was before.
"""

from __future__ import annotations

from connecting_families.hooks.host import PluginHost
from connecting_families.programmes.tables import Programme


def ruleset_id_of(key: str) -> str:
    """`tf2015` of `tf2015@2` (and of a bare `tf2015`)."""
    return key.partition("@")[0]


async def pin_rulesets(plugins: PluginHost) -> dict[str, str]:
    """Hold each programme on a bare id to the version it is judged by now; returns the new
    keys by programme code. A rule set not installed (or disabled) now is left bare: there is
    no version to hold it to, and it is judged by the highest once installed."""
    rows = await Programme.select(Programme.code, Programme.ruleset_id).where(
        Programme.ruleset_id.not_like("%@%")
    )
    pinned = {}
    for row in rows:
        ruleset = plugins.ruleset(row["ruleset_id"])
        if ruleset is not None:
            await Programme.update({Programme.ruleset_id: ruleset.key}).where(
                Programme.code == row["code"]
            )
            pinned[row["code"]] = ruleset.key
    return pinned


async def unpin_rulesets() -> None:
    """Back to bare ids (the migration's reverse): the highest version judges again."""
    rows = await Programme.select(Programme.code, Programme.ruleset_id).where(
        Programme.ruleset_id.like("%@%")
    )
    for row in rows:
        await Programme.update({Programme.ruleset_id: ruleset_id_of(row["ruleset_id"])}).where(
            Programme.code == row["code"]
        )
