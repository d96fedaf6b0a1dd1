"""The front door's figures in the indicators and the monthly report, checked by hand: the
seed's August (`shared/seeds/003_*`: 724 contacts, 139 referrals, 31 re-referrals, 19
assessments out of timescale) and smaller cases around weekends, bank holidays, month ends,
step-downs and sources."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from typing import Any

import httpx
import pytest
from litestar import Litestar

from connecting_families.assessments.tables import Assessment
from connecting_families.domain.dates import ENGLAND, add_working_days
from connecting_families.frontdoor.tables import Contact

from access_world import World, build_world

INDICATORS = "/api/v1/programmes/P1/indicators"
MONTHLY = "/api/v1/programmes/P1/reports/monthly"


@pytest.fixture
async def world(client: httpx.AsyncClient, app: Litestar) -> World:
    return await build_world(app.state.accounts)


def at(text: str) -> dt.datetime:
    """An instant written as England's clock shows it (BST in summer)."""
    return dt.datetime.fromisoformat(text).replace(tzinfo=ENGLAND)


def contact(
    world: World,
    received: str,
    *,
    source: str = "school",
    kind: str = "contact",
    decision: str | None = None,
    decided: str | None = None,
    repeat_reason: str | None = None,
    repeat_detail: str | None = None,
    late_reason_code: str | None = None,
    late_reason: str | None = None,
) -> Contact:
    """A contact as the service writes one: due one working day after the day it came."""
    received_at = at(received)
    return Contact(
        programme=world.programmes["P1"],
        kind=kind,
        received_at=received_at,
        channel="phone",
        source=source,
        consent_to_share="yes",
        summary="A concern about a child.",
        is_repeat=repeat_reason is not None,
        repeat_reason=repeat_reason,
        repeat_detail=repeat_detail,
        decide_by=add_working_days(received_at.date(), 1),
        recorded_by=world.users["fd"],
        recorded_at=received_at,
        decision=decision,
        decided_at=at(decided) if decided else None,
        decided_by=world.users["fd"] if decision else None,
        late_reason_code=late_reason_code,
        late_reason=late_reason,
    )


async def insert(contacts: list[Contact]) -> None:
    for start in range(0, len(contacts), 100):
        await Contact.insert(*contacts[start : start + 100])


async def assessment(world: World, ref: str, started: str, completed: str, **extra: str) -> None:
    await Assessment.insert(
        Assessment(
            programme=world.programmes["P1"],
            family=world.families["own"],
            assessment_ref=ref,
            started_on=dt.date.fromisoformat(started),
            completed_on=dt.date.fromisoformat(completed),
            recorded_at=dt.datetime.now(dt.UTC),
            **extra,
        )
    )


async def indicators(client: httpx.AsyncClient, world: World, month: str) -> dict[str, Any]:
    response = await client.get(INDICATORS, params={"month": month}, headers=world.headers("pm"))
    assert response.status_code == 200, response.text
    block: dict[str, Any] = response.json()["front_door"]
    return block


# The seed's August, in August 2014 (Monday the 25th a bank holiday). Sources add up to 724.
SOURCES = {
    "school": 200,
    "police": 180,
    "health": 150,
    "family": 80,
    "other_council": 40,
    "social_care": 34,
    "other": 40,
}
# The 31 re-referrals' reasons, the seed's three spread over the fixed list.
RE_REFERRAL_REASONS = {"significant_change": 12, "new_information": 10, "incident": 7, "other": 2}
# The 585 contacts that were not referrals (the first 9 of them repeats, no further action).
OTHER_DECISIONS = {"no_further_action": 200, "advice": 250, "universal_services": 135}
SEED_LATE = {"key_worker_availability": 9, "family_availability": 5, "awaiting_other_agency": 5}


def weekdays_of_august() -> list[dt.date]:
    days = [dt.date(2014, 8, 1) + dt.timedelta(days=n) for n in range(28)]
    return [day for day in days if day.weekday() < 5 and day != dt.date(2014, 8, 25)]


async def build_the_seeds_august(world: World) -> None:
    """724 contacts received in August 2014: 139 referrals (100 family help, 39 step up), 31
    of them repeats; 9 more repeats decided no further action; 6 decisions late (3 key
    worker availability, 2 family availability, 1 "other" in words); 5 step-downs, 4 to
    family help; 19 assessments completed late in August with the seed's reasons, 10 in
    time. Elsewhere: 10 contacts
    in May 2014 (the year to date) and 20 in August 2013, 5 of them family help."""
    decisions = ["family_help"] * 100 + ["step_up"] * 39
    for decision, count in OTHER_DECISIONS.items():
        decisions += [decision] * count
    repeats: list[tuple[str | None, str | None]] = []
    for reason, count in RE_REFERRAL_REASONS.items():
        detail = "The family moved back into the area" if reason == "other" else None
        repeats += [(reason, detail)] * count
    repeats += [(None, None)] * (139 - len(repeats))
    repeats += [("new_information", None)] * 9  # the first 9 decided no further action
    repeats += [(None, None)] * (724 - len(repeats))
    sources = [source for source, count in SOURCES.items() for _ in range(count)]
    late = ["key_worker_availability"] * 3 + ["family_availability"] * 2 + ["other"]
    days = weekdays_of_august()
    rows = []
    for n, (decision, (reason, detail), source) in enumerate(
        zip(decisions, repeats, sources, strict=True)
    ):
        day = days[n % len(days)].isoformat()
        if n >= 724 - len(late):
            # Received on Monday the 4th, due on the 5th, decided on the 6th.
            code = late[n - (724 - len(late))]
            rows.append(
                contact(
                    world,
                    "2014-08-04T10:00",
                    source=source,
                    decision=decision,
                    decided="2014-08-06T11:00",
                    late_reason_code=code,
                    late_reason="Waiting for an interpreter" if code == "other" else None,
                )
            )
            continue
        rows.append(
            contact(
                world,
                f"{day}T10:00",
                source=source,
                decision=decision,
                decided=f"{day}T15:00",
                repeat_reason=reason,
                repeat_detail=detail,
            )
        )
    for n in range(5):
        rows.append(
            contact(
                world,
                "2014-08-12T09:00",
                kind="step_down",
                source="social_care",
                decision="family_help" if n < 4 else "advice",
                decided="2014-08-12T16:00",
            )
        )
    rows += [
        contact(world, "2014-05-12T10:00", decision="advice", decided="2014-05-12T12:00")
        for _ in range(10)
    ]
    rows += [
        contact(
            world,
            "2013-08-12T10:00",
            source="police",
            decision="family_help" if n < 5 else "no_further_action",
            decided="2013-08-12T12:00",
        )
        for n in range(20)
    ]
    await insert(rows)
    n = 0
    for code, count in SEED_LATE.items():
        for _ in range(count):
            n += 1
            await assessment(world, f"LATE-{n}", "2014-05-01", "2014-08-20", late_reason_code=code)
    for k in range(10):
        await assessment(world, f"ON-TIME-{k}", "2014-08-04", "2014-08-15")


async def test_the_seeds_august_in_the_indicators(client: httpx.AsyncClient, world: World) -> None:
    """724 contacts, 139 referrals (19.2%), 31 re-referrals (22.3% of the month's referrals),
    and the decisions' and assessments' late reasons as counted."""
    await build_the_seeds_august(world)
    response = await client.get(
        INDICATORS, params={"month": "2014-08"}, headers=world.headers("pm")
    )
    assert response.status_code == 200, response.text
    result = response.json()
    front_door = result["front_door"]
    assert front_door["contacts_received"] == {"received": 724, "by_source": SOURCES}
    assert front_door["conversion"] == {
        "received": 724,
        "undecided": 0,
        "referrals": 139,
        "referrals_percent": 19.2,  # 139 / 724 = 19.199%
        "family_help": 100,
        "family_help_percent": 13.8,  # 100 / 724 = 13.812%
        "step_up": 39,
        "step_up_percent": 5.4,  # 39 / 724 = 5.387%
    }
    assert front_door["repeats"] == {
        "repeat_contacts": 40,
        "repeat_reasons": {
            "New information since the case closed": 19,
            "A significant change in the family's situation": 12,
            "An incident, such as one the police attended": 7,
            "The family moved back into the area": 2,
        },
        "referrals": 139,
        "re_referrals": 31,
        "re_referral_percent": 22.3,  # 31 / 139 = 22.302%, not the seed's 18.9%
        "re_referral_reasons": {
            "A significant change in the family's situation": 12,
            "New information since the case closed": 10,
            "An incident, such as one the police attended": 7,
            "The family moved back into the area": 2,
        },
    }
    # 724 contacts and 5 step-downs decided in August; 6 of them late.
    assert front_door["decisions"] == {
        "decided": 729,
        "by_decision": {
            "no_further_action": 200,
            "advice": 251,
            "universal_services": 135,
            "family_help": 104,
            "step_up": 39,
        },
        "within_timescale": 723,
        "within_timescale_percent": 99.2,  # 723 / 729 = 99.177%
        "late_reasons": {
            "Key worker availability": 3,
            "Family availability": 2,
            "Waiting for an interpreter": 1,
        },
    }
    assert front_door["step_downs"] == {"received": 5, "to_family_help": 4}
    assert result["assessments_completed"]["completed"] == 29
    assert result["assessments_completed"]["late_reasons"] == {
        "Key worker availability": 9,
        "Family availability": 5,
        "Awaiting information from another agency": 5,
    }


def text_of(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).replace("&#39;", "'")


def row_of(html: str, label: str) -> list[str]:
    """The cells of the table row labelled `label`, as text."""
    found = re.search(
        r"<tr[^>]*>\s*<t[hd][^>]*>\s*" + re.escape(label) + r"\s*</t[hd]>(.*?)</tr>",
        html.replace("&#39;", "'"),
        re.S,
    )
    assert found is not None, label
    return [text_of(cell).strip() for cell in re.findall(r"<td[^>]*>(.*?)</td>", found[1], re.S)]


async def test_the_seeds_august_in_the_monthly_report(
    client: httpx.AsyncClient, world: World
) -> None:
    """The CSV and the printable page show 19.2% conversion, 31 re-referrals of 139 (22.3%),
    each under a label saying what it divides by, and the late reasons as counted; the year
    to date adds May's 10 contacts and the year before has 5 referrals of 20 (25.0%)."""
    await build_the_seeds_august(world)
    pm = world.headers("pm")
    table = await client.get(MONTHLY, params={"month": "2014-08", "format": "csv"}, headers=pm)
    assert table.status_code == 200, table.text
    figures = {
        (row["section"], row["measure"]): row["value"]
        for row in csv.DictReader(io.StringIO(table.text))
    }
    conversion = "Referrals as % of contacts received in the period"
    re_referrals = "Re-referrals: repeat contacts received in the period that became referrals"
    re_rate = "Re-referrals as % of referrals of contacts received in the period"
    received = "Contacts received in the period (not step-downs)"
    month, to_date, earlier = "this_month", "year_to_date", "a_year_earlier"
    assert figures[(month, received)] == "724"
    assert figures[(month, conversion)] == "19.2"
    assert figures[(month, re_referrals)] == "31"
    assert figures[(month, re_rate)] == "22.3"
    assert figures[(to_date, received)] == "734"
    assert figures[(to_date, conversion)] == "18.9"  # 139 / 734 = 18.937%
    assert figures[(earlier, received)] == "20"
    assert figures[(earlier, conversion)] == "25.0"
    assert figures[(earlier, re_rate)] == "0.0"  # none of the 5 referrals a repeat
    assert figures[(month, "Contacts received in the period from: Police")] == "180"
    assert figures[(month, "Step-downs from social care received in the period")] == "5"
    late = "Assessments completed in the period out of timescale, by reason"
    assert figures[(month, f"{late}: Key worker availability")] == "9"
    assert figures[(month, f"{late}: Family availability")] == "5"
    assert figures[(month, f"{late}: Awaiting information from another agency")] == "5"
    decided_late = "Decisions made in the period out of timescale, by reason"
    assert figures[(month, f"{decided_late}: Key worker availability")] == "3"
    assert figures[("contacts received by month", "2014-05")] == "10"
    assert figures[("contacts received by month", "2014-08: Police")] == "180"
    assert figures[("contacts received by month", "2014-06")] == "0"

    page = await client.get(MONTHLY, params={"month": "2014-08", "format": "html"}, headers=pm)
    assert page.status_code == 200, page.text
    html = page.text
    assert row_of(html, received) == ["724", "734", "20"]
    assert row_of(html, conversion) == ["19.2", "18.9", "25.0"]
    assert row_of(html, re_referrals) == ["31", "31", "0"]
    assert row_of(html, re_rate) == ["22.3", "22.3", "0.0"]
    words = text_of(html)
    for reason in (
        "Key worker availability (9)",
        "Family availability (5)",
        "Awaiting information from another agency (5)",
    ):
        assert reason in words.split("Completed out of timescale in the month, by reason:")[1]
    assert "Re-referrals received in the month, by reason: A significant change" in words


async def test_the_report_page_shows_the_front_door(
    client: httpx.AsyncClient, world: World
) -> None:
    """The programme manager's report page carries the same figures and the months' sources."""
    await build_the_seeds_august(world)
    response = await client.get(
        "/programmes/P1/reports/monthly?month=2014-08", headers=world.page_headers("pm")
    )
    assert response.status_code == 200, response.text
    html = response.text
    assert row_of(html, "Referrals as % of contacts received in the period") == [
        "19.2",
        "18.9",
        "25.0",
    ]
    assert row_of(html, "Contacts received in the period (not step-downs)") == ["724", "734", "20"]
    assert row_of(html, "May 2014")[-1] == "10"
    assert row_of(html, "August 2014")[:2] == ["200", "180"]
    assert "Decisions made in the month out of timescale, by reason" in text_of(html)


async def test_decisions_in_time_across_a_weekend_and_a_bank_holiday(
    client: httpx.AsyncClient, world: World
) -> None:
    """Received Friday 22 August 2014: due Tuesday the 26th (Monday the 25th a bank
    holiday), so decided on the Tuesday is in time, on the Wednesday late; decided at 00:30 on
    the Wednesday in England (23:30 on the Tuesday in UTC) is late too."""
    friday = "2014-08-22T10:00"
    assert add_working_days(dt.date(2014, 8, 22), 1) == dt.date(2014, 8, 26)
    await insert(
        [
            contact(world, friday, decision="advice", decided="2014-08-26T16:00"),
            contact(
                world,
                friday,
                decision="advice",
                decided="2014-08-27T09:00",
                late_reason_code="key_worker_availability",
            ),
            contact(world, friday, decision="advice", decided="2014-08-27T00:30"),
        ]
    )
    decisions = (await indicators(client, world, "2014-08"))["decisions"]
    assert (decisions["decided"], decisions["within_timescale"]) == (3, 1)
    assert decisions["within_timescale_percent"] == 33.3
    assert decisions["late_reasons"] == {"Key worker availability": 1, "not recorded": 1}


async def test_a_contact_received_in_one_month_and_decided_in_the_next(
    client: httpx.AsyncClient, world: World
) -> None:
    """Received on 31 July, decided family help on 1 August: July's contacts and conversion
    count it, August's decisions; received at 00:30 on 1 August in England (23:30 on 31 July
    in UTC) is August's."""
    await insert(
        [
            contact(world, "2014-07-31T16:00", decision="family_help", decided="2014-08-01T10:00"),
            contact(world, "2014-08-01T00:30"),
        ]
    )
    july, august = (
        await indicators(client, world, "2014-07"),
        await indicators(client, world, "2014-08"),
    )
    assert july["contacts_received"]["received"] == 1
    assert (july["conversion"]["referrals"], july["conversion"]["referrals_percent"]) == (1, 100.0)
    assert july["decisions"]["decided"] == 0
    assert august["contacts_received"]["received"] == 1
    assert (august["conversion"]["undecided"], august["conversion"]["referrals_percent"]) == (
        1,
        0.0,
    )
    assert august["decisions"]["by_decision"]["family_help"] == 1
    assert august["decisions"]["within_timescale"] == 1  # due 1 August


async def test_step_downs_are_counted_apart_from_contacts(
    client: httpx.AsyncClient, world: World
) -> None:
    """Three step-downs (two to family help) and one contact decided step up: conversion is 1
    of 1 contact, the step-downs are their own figure, and all four decisions count."""
    step_down = {"kind": "step_down", "source": "social_care"}
    await insert(
        [
            contact(
                world,
                "2014-08-05T10:00",
                **step_down,
                decision="family_help",
                decided="2014-08-05T12:00",
            ),
            contact(
                world,
                "2014-08-06T10:00",
                **step_down,
                decision="family_help",
                decided="2014-08-06T12:00",
            ),
            contact(
                world,
                "2014-08-07T10:00",
                **step_down,
                decision="advice",
                decided="2014-08-07T12:00",
            ),
            contact(
                world,
                "2014-08-07T10:00",
                source="police",
                decision="step_up",
                decided="2014-08-07T11:00",
            ),
        ]
    )
    august = await indicators(client, world, "2014-08")
    assert august["step_downs"] == {"received": 3, "to_family_help": 2}
    assert august["contacts_received"]["received"] == 1
    assert august["contacts_received"]["by_source"]["social_care"] == 0
    assert august["conversion"]["step_up_percent"] == 100.0
    assert august["conversion"]["family_help"] == 0
    assert august["decisions"]["decided"] == 4
    assert august["decisions"]["by_decision"]["family_help"] == 2


async def test_contacts_by_source_for_each_month_of_the_year_to_date(
    client: httpx.AsyncClient, world: World
) -> None:
    """June 2014: April to June, each month by source, March (the year before) left out."""
    await insert(
        [
            contact(world, "2014-03-31T10:00", source="police"),
            contact(world, "2014-04-01T10:00", source="police"),
            contact(world, "2014-04-30T10:00", source="health"),
            contact(world, "2014-06-02T10:00", source="family"),
            contact(world, "2014-06-02T10:00", source="family"),
            contact(world, "2014-06-03T10:00", source="social_care", kind="step_down"),
        ]
    )
    response = await client.get(MONTHLY, params={"month": "2014-06"}, headers=world.headers("pm"))
    assert response.status_code == 200, response.text
    months = {m["month"]: m for m in response.json()["contacts_by_month"]}
    assert list(months) == ["2014-04", "2014-05", "2014-06"]
    assert [months[m]["received"] for m in months] == [2, 0, 2]
    assert months["2014-04"]["by_source"]["police"] == 1
    assert months["2014-04"]["by_source"]["health"] == 1
    assert months["2014-06"]["by_source"]["family"] == 2
