"""The new-family journey's state, carried in the form's own posts (hidden fields).

Nothing is written until "Create family", and nothing goes into the address: each step posts
everything typed so far, and the next step is rendered as the answer to that post. A member's
fields are posted as `member-<n>-<field>` (`member-0-given_name`), numbered from 0 in the
order shown; "Remove" numbers them again.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

import attrs

from connecting_families.web.forms import DATE_PARTS, whole_number

MEMBER = re.compile(r"^member-(\d{1,2})-(.+)$")
# What a post says about itself rather than the family: not carried from step to step.
CONTROLS = frozenset({"action", "step", "count"})
MOST_MEMBERS = 20
MEMBER_FIELDS = (
    "given_name",
    "family_name",
    "date_of_birth",
    "role",
    "person_ref",
    "upn",
    "ni_number",
    "same",
    "checked",
)


@attrs.frozen
class Journey:
    """What has been typed: the family's fields, and each member's (without their prefix)."""

    family: dict[str, str] = attrs.Factory(dict)
    members: tuple[dict[str, str], ...] = ()

    @classmethod
    def of(cls, values: Mapping[str, str]) -> Journey:
        """The journey a post carries; `count` (a hidden field) keeps blank members shown."""
        family: dict[str, str] = {}
        members: dict[int, dict[str, str]] = {}
        for name, value in values.items():
            if name in CONTROLS:
                continue
            if found := MEMBER.match(name):
                members.setdefault(int(found.group(1)), {})[found.group(2)] = value
            elif not name.startswith("member-"):
                family[name] = value
        count = whole_number(values.get("count")) or 0
        count = min(max(count, max(members, default=-1) + 1), MOST_MEMBERS)
        return cls(family, tuple(members.get(index, {}) for index in range(count)))

    def values(self) -> dict[str, str]:
        """Every field as the form posts it."""
        flat = dict(self.family)
        for index, member in enumerate(self.members):
            flat.update({f"member-{index}-{name}": value for name, value in member.items()})
        return flat

    def hidden(self, *, family: bool, members: bool) -> list[tuple[str, str]]:
        """The fields a step carries without showing them: the family's, the members', or
        both. A date goes as its three parts (the page puts them together again)."""
        carried = dict(self.family) if family else {}
        if members:
            for index, member in enumerate(self.members):
                carried.update({f"member-{index}-{k}": v for k, v in member.items()})
        return sorted(
            (name, value)
            for name, value in carried.items()
            if not any(f"{name}-{part}" in carried for part in DATE_PARTS)
        )

    def with_member(self) -> Journey:
        """One more blank member, as "Add another member" asks."""
        if len(self.members) >= MOST_MEMBERS:
            return self
        return attrs.evolve(self, members=(*self.members, {}))

    def without(self, index: int) -> Journey:
        """Member `index` removed, the others numbered again."""
        kept = tuple(m for i, m in enumerate(self.members) if i != index)
        return attrs.evolve(self, members=kept)

    def member_values(self, index: int) -> dict[str, str]:
        return dict(self.members[index]) if index < len(self.members) else {}

    def blank(self, index: int) -> bool:
        """Whether member `index` has nothing typed (a blank "Add another" left as it is)."""
        member = self.members[index]
        answers = ("role", "same", "checked")
        return not any(value for name, value in member.items() if name not in answers)


def member_labels(index: int) -> dict[str, str]:
    """Member `index`'s fields by their labels, naming the person ("Given name of person 2"),
    so that each error in the summary says whose field it is."""
    person = f"person {index + 1}"
    return {
        f"member-{index}": f"Person {index + 1}",
        f"member-{index}-given_name": f"Given name of {person}",
        f"member-{index}-family_name": f"Family name of {person}",
        f"member-{index}-date_of_birth": f"Date of birth of {person}",
        f"member-{index}-role": f"Whether {person} is an adult or a child",
        f"member-{index}-person_ref": f"Person reference of {person}",
        f"member-{index}-upn": f"Unique pupil number of {person}",
        f"member-{index}-ni_number": f"National Insurance number of {person}",
        f"member-{index}-same": f"Whether {person} is someone already known",
    }
