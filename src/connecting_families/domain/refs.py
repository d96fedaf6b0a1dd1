"""The one grammar of every reference and code: `family_ref`, `person_ref`, `need_ref`, …,
evidence refs and programme codes (`shared/domain/data-exchange.md`, common rules).

1 to 64 letters, digits, `-`, `_` and `.`, starting with a letter or digit. So a ref is always
one URL path segment (never `/`, never `.` or `..`), never a control character, and never the
start of a spreadsheet formula (`=`, `+`, `-`, `@`). Every door checks it: the API's msgspec
types (`http_params.Ref`), the services, the import cells and the command line.
"""

from __future__ import annotations

import re

REF_MAX_LENGTH = 64
# Programme codes fit a narrower column.
CODE_MAX_LENGTH = 32

_REF = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")
# The same grammar as a JSON Schema pattern, which msgspec applies with `re.search` and
# OpenAPI clients with ECMA-262 rules. `$` alone would let Python accept a trailing newline;
# `(?!\n)` refuses it in Python and means nothing in ECMA-262, where `$` is the very end.
REF_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]*$(?!\n)"
REF_RULE = "letters, digits, '-', '_' and '.', starting with a letter or digit"


def ref_problem(value: str, max_length: int = REF_MAX_LENGTH) -> str | None:
    """What is wrong with `value` as a ref, in words that do not repeat it; None if nothing."""
    if not 1 <= len(value) <= max_length:
        return f"must be 1-{max_length} characters: {REF_RULE}"
    if not _REF.fullmatch(value):
        return f"must be only {REF_RULE}"
    return None


def is_ref(value: str, max_length: int = REF_MAX_LENGTH) -> bool:
    return ref_problem(value, max_length) is None
