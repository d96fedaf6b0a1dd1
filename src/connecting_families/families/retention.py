# ruff: noqa: S608 - only "{}" placeholders and fixed table and column names are formatted.
"""Retention: removing the personal data of families closed long ago
(`connecting-families purge --closed-before DATE`).

What goes: people's names, unique pupil numbers, National Insurance numbers and sex; the
family's postcode; and every piece of free text written about the family (case notes and who
attended, need descriptions, late-assessment reasons, reasons for completing an assessment
without consent and for withdrawing consent, plan goals, actions, reviews and their
comments, allocation reasons, who came to family meetings and the plan agreed there, and
what the front door's contacts about the family said: who made them, the names of the people
they named, and the reasons for their decisions). What
stays is what the family's claims were decided on: the family's and people's references,
dates of birth, memberships and the partner evidence. Claim lines hold a sha256 of that
evidence, so every claim still re-verifies after a purge and an auditor can still check it;
without names or identifiers it is pseudonymous data.

A person who is also a member of a family that is not being purged keeps their details:
that family's key worker still needs them.
"""

from __future__ import annotations

import datetime as dt

import attrs
from piccolo.querystring import QueryString

from connecting_families.audit.service import Actor, record
from connecting_families.database.columns import in_parts, placeholders
from connecting_families.database.engine import AnyEngine, write_transaction
from connecting_families.errors import Invalid

REMOVED_TEXT = "[removed under the retention policy]"
REMOVED_NAME = "(removed)"

# Each free-text column and how a family's rows of its table are found.
_FAMILY_ROWS = "family IN ({ids})"
_PLAN_ROWS = "plan IN (SELECT id FROM family_plan WHERE family IN ({ids}))"
_GOAL_ROWS = (
    "goal IN (SELECT plan_goal.id FROM plan_goal JOIN family_plan ON family_plan.id ="
    " plan_goal.plan WHERE family_plan.family IN ({ids}))"
)
_REVIEW_ROWS = (
    "review IN (SELECT plan_review.id FROM plan_review JOIN family_plan ON family_plan.id ="
    " plan_review.plan WHERE family_plan.family IN ({ids}))"
)
# (table, what is set, which rows, the condition that the row still holds some text)
_FREE_TEXT: tuple[tuple[str, str, str, str], ...] = (
    (
        "case_note",
        f"body = '{REMOVED_TEXT}', attendees = NULL",
        _FAMILY_ROWS,
        f"(body <> '{REMOVED_TEXT}' OR attendees IS NOT NULL)",
    ),
    ("need", "evidence = NULL", _FAMILY_ROWS, "evidence IS NOT NULL"),
    (
        "assessment",
        "late_reason = NULL, no_consent_reason = NULL, family_view = NULL, strengths = NULL,"
        " headline_needs = NULL, child_voice = NULL, analysis = NULL",
        _FAMILY_ROWS,
        "(late_reason IS NOT NULL OR no_consent_reason IS NOT NULL OR family_view IS NOT NULL"
        " OR strengths IS NOT NULL OR headline_needs IS NOT NULL OR child_voice IS NOT NULL"
        " OR analysis IS NOT NULL)",
    ),
    ("consent", "withdrawn_reason = NULL", _FAMILY_ROWS, "withdrawn_reason IS NOT NULL"),
    ("allocation", "reason = NULL", _FAMILY_ROWS, "reason IS NOT NULL"),
    (
        "family_meeting",
        f"attendees = '{REMOVED_TEXT}', agreed_plan = '{REMOVED_TEXT}'",
        _FAMILY_ROWS,
        f"(attendees <> '{REMOVED_TEXT}' OR agreed_plan <> '{REMOVED_TEXT}')",
    ),
    (
        "plan_goal",
        f"description = '{REMOVED_TEXT}'",
        _PLAN_ROWS,
        f"description <> '{REMOVED_TEXT}'",
    ),
    (
        "plan_action",
        f"description = '{REMOVED_TEXT}', owner_text = NULL",
        _GOAL_ROWS,
        f"(description <> '{REMOVED_TEXT}' OR owner_text IS NOT NULL)",
    ),
    ("plan_review", f"summary = '{REMOVED_TEXT}'", _PLAN_ROWS, f"summary <> '{REMOVED_TEXT}'"),
    ("plan_review_progress", "comment = ''", _REVIEW_ROWS, "comment <> ''"),
    (
        "contact",
        f"summary = '{REMOVED_TEXT}', source_name = NULL, repeat_detail = NULL,"
        " decision_note = NULL, late_reason = NULL",
        _FAMILY_ROWS,
        f"(summary <> '{REMOVED_TEXT}' OR source_name IS NOT NULL OR repeat_detail IS NOT NULL"
        " OR decision_note IS NOT NULL OR late_reason IS NOT NULL)",
    ),
    (
        "contact_person",
        f"given_name = '{REMOVED_NAME}', family_name = '{REMOVED_NAME}'",
        "contact IN (SELECT id FROM contact WHERE family IN ({ids}))",
        f"given_name <> '{REMOVED_NAME}'",
    ),
)


@attrs.frozen
class PurgeResult:
    """What a purge removed (or, in a dry run, would remove)."""

    closed_before: dt.date
    dry_run: bool
    families: int
    people: int
    # People kept as they are because they are also in a family that is not purged.
    people_kept: int
    # Rows of free text cleared, by table.
    texts: dict[str, int]


async def purge(
    engine: AnyEngine,
    actor: Actor,
    closed_before: dt.date,
    *,
    dry_run: bool,
) -> PurgeResult:
    """Remove the personal data of every family closed before `closed_before` and not
    purged yet, in one transaction; audited family by family, and as a whole."""
    if closed_before > dt.date.today():
        raise Invalid(
            f"--closed-before {closed_before.isoformat()} is in the future; "
            "give a date on or before today."
        )
    async with write_transaction(engine):
        families = [
            row["id"]
            for row in await engine.run_querystring(
                QueryString(
                    "SELECT id FROM family WHERE status = 'closed' AND closed_on < {}"
                    " AND purged_at IS NULL ORDER BY id",
                    closed_before,
                )
            )
        ]
        people, kept = await _people_of(engine, families)
        texts = {
            table: await _count(engine, table, rows, families, still)
            for table, _, rows, still in _FREE_TEXT
        }
        result = PurgeResult(
            closed_before=closed_before,
            dry_run=dry_run,
            families=len(families),
            people=len(people),
            people_kept=kept,
            texts={table: count for table, count in texts.items() if count},
        )
        if not dry_run:
            await _remove(engine, families, people)
            for family_id in families:
                await record(actor, "family.purge", "family", family_id)
        await record(
            actor,
            "retention.purge",
            "family",
            detail={
                "closed_before": closed_before.isoformat(),
                "dry_run": dry_run,
                "families": result.families,
                "people": result.people,
                "people_kept": result.people_kept,
                "texts": result.texts,
            },
        )
    return result


async def _people_of(engine: AnyEngine, families: list[int]) -> tuple[list[int], int]:
    """The people of `families` to purge, and how many of theirs are kept because they are
    also members of a family that is not purged (nor being purged)."""
    members: set[int] = set()
    for part in in_parts(families):
        rows = await engine.run_querystring(
            QueryString(
                f"SELECT DISTINCT person FROM membership WHERE family IN ({placeholders(part)})",
                *part,
            )
        )
        members.update(row["person"] for row in rows)
    chosen = set(families)
    elsewhere: set[int] = set()
    for part in in_parts(sorted(members)):
        rows = await engine.run_querystring(
            QueryString(
                "SELECT membership.person, membership.family FROM membership"
                " JOIN family ON family.id = membership.family"
                f" WHERE membership.person IN ({placeholders(part)})"
                " AND family.purged_at IS NULL",
                *part,
            )
        )
        elsewhere.update(row["person"] for row in rows if row["family"] not in chosen)
    return sorted(members - elsewhere), len(elsewhere)


async def _count(engine: AnyEngine, table: str, rows: str, families: list[int], still: str) -> int:
    count = 0
    for part in in_parts(families):
        found = await engine.run_querystring(
            QueryString(
                f"SELECT count(*) AS n FROM {table}"
                f" WHERE {rows.format(ids=placeholders(part))} AND {still}",
                *part,
            )
        )
        count += int(found[0]["n"])
    return count


async def _remove(engine: AnyEngine, families: list[int], people: list[int]) -> None:
    now = dt.datetime.now(dt.UTC)
    for part in in_parts(families):
        ids = placeholders(part)
        await engine.run_querystring(
            QueryString(
                "UPDATE family SET postcode = NULL, purged_at = {}, updated_at = {},"
                f" version = version + 1 WHERE id IN ({ids})",
                now,
                now,
                *part,
            )
        )
        for table, assignments, rows, still in _FREE_TEXT:
            await engine.run_querystring(
                QueryString(
                    f"UPDATE {table} SET {assignments} WHERE {rows.format(ids=ids)} AND {still}",
                    *part,
                )
            )
    for part in in_parts(people):
        await engine.run_querystring(
            QueryString(
                "UPDATE person SET given_name = {}, family_name = '', upn = NULL,"
                " ni_number = NULL, sex = NULL, updated_at = {}, version = version + 1"
                f" WHERE id IN ({placeholders(part)})",
                REMOVED_NAME,
                now,
                *part,
            )
        )
