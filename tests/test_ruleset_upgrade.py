"""A programme stays on the `id@version` it was set up with until it is moved on, after a
comparison of every family's verdict under both versions (`programme upgrade-ruleset`)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from connecting_families.audit.service import Actor
from connecting_families.audit.tables import AuditEvent
from connecting_families.cli import main
from connecting_families.database.engine import AnyEngine, run_with_database
from connecting_families.errors import Invalid
from connecting_families.hooks.host import PluginHost
from connecting_families.programmes.ruleset_versions import pin_rulesets, unpin_rulesets
from connecting_families.programmes.service import (
    ProgrammeDraft,
    ProgrammeService,
    ruleset_config_of,
)
from connecting_families.programmes.tables import Programme
from connecting_families.settings import DatabaseUrl

from conftest import TEST_SECRET
from fake_plugins import FakePackages
from import_cases import FAMILIES, PEOPLE

# The council's own rule set: version 1 judges as tf2012 does; version 2 turns FAM-1 around.
COUNCIL = """
    import attrs
    from cf_rulesets import tf2012
    from connecting_families.hooks.hookspecs import hookimpl

    def kinder(evidence, as_of, config, context):
        verdict = tf2012.RULESET.evaluate(evidence, as_of, config, context)
        if verdict.family_ref != "FAM-1":
            return verdict
        return attrs.evolve(verdict, evaluated=True, eligible=True, turned_around=True)

    def broken(evidence, as_of, config, context):
        raise KeyError("a bug in version 3")

    @hookimpl
    def cf_register_rulesets(register):
        register(attrs.evolve(tf2012.RULESET, id="council", version=1, name="Council rules"))
        if {version} > 1:
            register(attrs.evolve(tf2012.RULESET, id="council", version=2,
                                  name="Council rules", evaluate=kinder))
        if {version} > 2:
            register(attrs.evolve(tf2012.RULESET, id="council", version=3,
                                  name="Council rules", evaluate=broken))
"""
NEWER_TF2015 = """
    import attrs
    from cf_rulesets import tf2015
    from connecting_families.hooks.hookspecs import hookimpl

    @hookimpl
    def cf_register_rulesets(register):
        register(attrs.evolve(tf2015.RULESET, version=9))
"""


@pytest.fixture
def packages(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> FakePackages:
    return FakePackages(tmp_path / "site", monkeypatch)


@pytest.fixture
def council(
    database_url: str, packages: FakePackages, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> FakePackages:
    """Programme P1 created on the council's rule set while only version 1 was installed,
    with FAM-1 and FAM-2; then the package upgraded to one shipping version 2 as well."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("CF_DATABASE_URL", database_url)
    monkeypatch.setenv("CF_SECRET_KEY", TEST_SECRET)
    packages.add("cf-council", {"council": COUNCIL.format(version=1)})
    assert main(["programme", "create", "P1", "--name", "P1", "--ruleset", "council"]) == 0
    for kind, text in (("families", FAMILIES.replace("kw_own", "")), ("people", PEOPLE)):
        path = tmp_path / f"{kind}.csv"
        path.write_text(text)
        assert main(["import", kind, str(path), "--programme", "P1"]) == 0
    packages.add("cf-council", {"council": COUNCIL.format(version=2)}, version="2.0")
    return packages


def _evaluated_on(capsys: pytest.CaptureFixture[str]) -> str:
    capsys.readouterr()
    assert main(["evaluate", "--programme", "P1", "--as-of", "2014-06-01"]) == 0
    return capsys.readouterr().out.splitlines()[0]


def test_a_newer_version_installed_judges_no_programme_until_moved(
    council: FakePackages, capsys: pytest.CaptureFixture[str]
) -> None:
    """With `council@2` installed, P1 is still judged by `council@1`, the version it was set
    up on; `programme list` says which."""
    assert PluginHost().ruleset("council") is not None
    assert _evaluated_on(capsys) == "P1 on council@1, as of 2014-06-01"
    assert main(["programme", "list"]) == 0
    assert "council@1" in capsys.readouterr().out


def test_a_dry_run_lists_the_families_that_change_and_moves_nothing(
    council: FakePackages, capsys: pytest.CaptureFixture[str]
) -> None:
    """Only FAM-1's result differs under `council@2`: it is listed; P1 stays on `council@1`."""
    capsys.readouterr()
    upgrade = ["programme", "upgrade-ruleset", "P1", "--to", "2", "--as-of", "2014-06-01"]
    assert main([*upgrade, "--dry-run"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "P1: council@1 -> council@2, 2 families judged as of 2014-06-01"
    assert out[1] == "1 families' results change"
    assert out[2].split()[0] == "FAM-1"
    assert out[2].endswith("-> turned around ()")
    assert out[3] == "dry run: nothing was changed"
    assert _evaluated_on(capsys) == "P1 on council@1, as of 2014-06-01"


async def _audited(action: str) -> list[dict[str, Any]]:
    rows = await AuditEvent.select(AuditEvent.detail).where(AuditEvent.action == action)
    return [ruleset_config_of(row["detail"]) for row in rows]  # SQLite hands JSON as text


async def _upgrades_audited() -> list[dict[str, Any]]:
    return await _audited("programme.ruleset.upgrade")


def test_a_dry_run_is_audited_with_counts_only(
    council: FakePackages, capsys: pytest.CaptureFixture[str], database_url: str
) -> None:
    """A dry run reads every family's records: the audit log says who compared, never which
    families."""
    upgrade = ["programme", "upgrade-ruleset", "P1", "--to", "2", "--as-of", "2014-06-01"]
    assert main([*upgrade, "--dry-run", "--operator", "pm"]) == 0
    audited = run_with_database(
        DatabaseUrl.parse(database_url), lambda _: _audited("programme.ruleset.compare")
    )
    assert audited == [
        {
            "from": "council@1",
            "to": "council@2",
            "as_of": "2014-06-01",
            "families": 2,
            "changed": 1,
        }
    ]


def test_a_version_that_cannot_decide_families_is_compared_but_never_moved_to(
    council: FakePackages, capsys: pytest.CaptureFixture[str], database_url: str
) -> None:
    """`council@3` raises for every family: the dry run names the fault for each family and
    exits 0; the move is refused, saying why, and P1 stays on `council@1`."""
    council.add("cf-council", {"council": COUNCIL.format(version=3)}, version="3.0")
    capsys.readouterr()
    upgrade = ["programme", "upgrade-ruleset", "P1", "--to", "3", "--as-of", "2014-06-01"]
    assert main([*upgrade, "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "2 families could not be decided under council@3" in out
    assert "could not be decided (plugin council: council@3 raised an error (KeyError))" in out
    assert "a bug in version 3" not in out
    assert main(upgrade) == 1
    err = capsys.readouterr().err
    assert "council@3 could not decide 2 of the programme's families" in err
    assert "Traceback" not in err
    assert _evaluated_on(capsys) == "P1 on council@1, as of 2014-06-01"
    assert run_with_database(DatabaseUrl.parse(database_url), lambda _: _upgrades_audited()) == []


def test_the_real_run_moves_the_programme_and_is_audited(
    council: FakePackages, capsys: pytest.CaptureFixture[str], database_url: str
) -> None:
    """Without `--dry-run` P1 moves to `council@2`, and the audit log says from what to what."""
    upgrade = ["programme", "upgrade-ruleset", "P1", "--to", "2", "--as-of", "2014-06-01"]
    assert main([*upgrade, "--operator", "pm"]) == 0
    assert capsys.readouterr().out.splitlines()[-1] == "moved P1 to council@2"
    assert _evaluated_on(capsys) == "P1 on council@2, as of 2014-06-01"
    audited = run_with_database(DatabaseUrl.parse(database_url), lambda _: _upgrades_audited())
    assert audited == [
        {
            "from": "council@1",
            "to": "council@2",
            "as_of": "2014-06-01",
            "families": 2,
            "changed": 1,
        }
    ]


@pytest.mark.parametrize(
    ("version", "message"),
    [
        ("7", "There is no rule set council@7 installed."),
        ("1", "The programme is on council@1 already."),
    ],
)
def test_an_unknown_or_current_version_is_refused_clearly(
    council: FakePackages, capsys: pytest.CaptureFixture[str], version: str, message: str
) -> None:
    """Exit 1 with the reason and the versions installed; nothing moves."""
    capsys.readouterr()
    assert main(["programme", "upgrade-ruleset", "P1", "--to", version]) == 1
    err = capsys.readouterr().err
    assert f"error: {message}" in err
    assert "installed versions: council@1, council@2" in err or "choose another" in err
    assert "Traceback" not in err
    assert _evaluated_on(capsys) == "P1 on council@1, as of 2014-06-01"


def test_a_higher_built_in_version_from_another_package_switches_no_programme(
    database_url: str,
    packages: FakePackages,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """`tf2015@9` from another package: P1 stays on `tf2015@3`, and cannot be moved to it."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("CF_DATABASE_URL", database_url)
    monkeypatch.setenv("CF_SECRET_KEY", TEST_SECRET)
    assert main(["programme", "create", "P1", "--name", "P1", "--ruleset", "tf2015"]) == 0
    packages.add("cf-newer", {"tf2015_next": NEWER_TF2015})
    assert _evaluated_on(capsys) == "P1 on tf2015@3, as of 2014-06-01"
    assert main(["programme", "upgrade-ruleset", "P1", "--to", "9", "--dry-run"]) == 1
    assert "There is no rule set tf2015@9 installed." in capsys.readouterr().err


async def test_existing_programmes_are_held_to_the_version_they_are_judged_by(
    engine: AnyEngine,
) -> None:
    """The migration's step: a bare `tf2015` becomes `tf2015@3` (the highest installed
    today); a rule set not installed stays bare; backwards, the ids are bare again."""
    for code, ruleset_id in (("P1", "tf2015"), ("P2", "tf2012@1"), ("P3", "gone")):
        await Programme.insert(
            Programme(code=code, name=code, local_authority=code, ruleset_id=ruleset_id)
        )
    assert await pin_rulesets(PluginHost()) == {"P1": "tf2015@3"}
    held = {r["code"]: r["ruleset_id"] for r in await Programme.select().order_by(Programme.code)}
    assert held == {"P1": "tf2015@3", "P2": "tf2012@1", "P3": "gone"}
    await unpin_rulesets()
    bare = {r["code"]: r["ruleset_id"] for r in await Programme.select().order_by(Programme.code)}
    assert bare == {"P1": "tf2015", "P2": "tf2012", "P3": "gone"}


def test_a_programme_on_a_bare_id_may_be_held_to_the_version_judging_it(
    council: FakePackages, capsys: pytest.CaptureFixture[str], database_url: str
) -> None:
    """A programme the migration could not hold (its plugin was not installed then) is judged
    by the highest version; `--to` that version holds it there, changing no family."""

    async def unpin() -> None:
        await Programme.update({Programme.ruleset_id: "council"}).where(Programme.code == "P1")

    run_with_database(DatabaseUrl.parse(database_url), lambda _: unpin())
    capsys.readouterr()
    upgrade = ["programme", "upgrade-ruleset", "P1", "--to", "2", "--as-of", "2014-06-01"]
    assert main(upgrade) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[1:] == ["0 families' results change", "moved P1 to council@2"]
    assert main(["programme", "list"]) == 0
    assert "council@2" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("asked", "held"), [("tf2015", "tf2015@3"), ("tf2015@1", "tf2015@1"), ("sf2022", "sf2022@1")]
)
async def test_a_new_programme_is_held_to_the_version_it_is_created_on(
    engine: AnyEngine, asked: str, held: str
) -> None:
    """A bare id is held to its highest version today; an `id@version` to that version."""
    service = ProgrammeService(engine, PluginHost())
    draft = ProgrammeDraft(code="P9", name="P9", local_authority="P9", ruleset_id=asked)
    created = await service.create_programme(Actor.operator("test"), draft)
    assert created.ruleset_id == held


async def test_a_programme_on_a_version_not_installed_is_refused(engine: AnyEngine) -> None:
    """`tf2015@9` is refused at creation, naming the field."""
    service = ProgrammeService(engine, PluginHost())
    draft = ProgrammeDraft(code="P9", name="P9", local_authority="P9", ruleset_id="tf2015@9")
    with pytest.raises(Invalid) as refused:
        await service.create_programme(Actor.operator("test"), draft)
    assert refused.value.errors[0]["field"] == "ruleset_id"
