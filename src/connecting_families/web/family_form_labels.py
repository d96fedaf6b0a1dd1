"""What each family form route declares as its fields' labels (`opt[FORM_LABELS]`), so that a
403 page, reached before the handler runs, names what was typed as the form's labels do.

A form's hidden fields (a version, the note a correction corrects) are left out: they were not
typed. A form whose fields are numbered (the people of a new family, the goals of a review) or
named by the rule set (an assessment's needs by headline) declares `NumberedLabels`, which
names each such field by the pattern the form's own labels follow.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping

import attrs

HIDDEN = ("version", "corrects", "checked")


def typed(labels: Mapping[str, str], *hidden: str) -> dict[str, str]:
    """`labels` without the form's hidden fields (`HIDDEN`, and `hidden`)."""
    left_out = {*HIDDEN, *hidden}
    return {name: label for name, label in labels.items() if name not in left_out}


@attrs.frozen
class NumberedLabels(Mapping[str, str]):
    """A form's fixed labels, and a label for each field whose name matches a pattern: the
    pattern's groups are given to its function, which words the field's label."""

    fixed: Mapping[str, str]
    patterns: tuple[tuple[re.Pattern[str], Callable[..., str | None]], ...] = ()

    def __getitem__(self, name: str) -> str:
        if name in self.fixed:
            return self.fixed[name]
        for pattern, label in self.patterns:
            if (match := pattern.fullmatch(name)) and (words := label(*match.groups())):
                return words
        raise KeyError(name)

    def __contains__(self, name: object) -> bool:
        if not isinstance(name, str):
            return False
        try:
            self[name]
        except KeyError:
            return False
        return True

    def __iter__(self) -> Iterator[str]:
        return iter(self.fixed)

    def __len__(self) -> int:
        return len(self.fixed)
