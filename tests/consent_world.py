"""Consent to share a family's information, recorded straight into the database: for tests of
what needs it (completing an assessment) rather than of consent itself (test_consent.py)."""

from __future__ import annotations

import datetime as dt
import itertools

from connecting_families.consent.tables import Consent
from connecting_families.families.tables import Family, Membership, Person

_numbers = itertools.count(1)


async def consent_given(
    family_id: int, recorded_by: int, on: dt.date = dt.date(2013, 1, 1)
) -> None:
    """The family's current consent, given on `on` by a new adult member, covering school."""
    family = await Family.select(Family.programme).where(Family.id == family_id).first()
    assert family is not None
    number = next(_numbers)
    [person] = await Person.insert(
        Person(
            programme=family["programme"],
            person_ref=f"CONSENT{number}",
            given_name="Ada",
            family_name=f"Consenting{number}",
            date_of_birth=dt.date(1980, 1, 1),
        )
    ).returning(Person.id)
    await Membership.insert(
        Membership(
            programme=family["programme"],
            person=person["id"],
            family=family_id,
            role="adult",
            recorded_by=None,
        )
    )
    await Consent.insert(
        Consent(
            family=family_id,
            given_by=person["id"],
            given_on=on,
            method="in_person",
            agencies="school",
            recorded_by=recorded_by,
            recorded_at=dt.datetime.now(dt.UTC),
        )
    )
