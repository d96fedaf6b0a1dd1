"""Parameter types shared by every controller."""

from dataclasses import dataclass
from typing import Annotated, Any, TypeVar

import msgspec
from litestar.openapi.spec import (
    OpenAPIMediaType,
    OpenAPIResponse,
    OpenAPIType,
    Operation,
    Schema,
)
from litestar.params import PathParameter, QueryParameter

from connecting_families.domain.refs import CODE_MAX_LENGTH, REF_MAX_LENGTH, REF_PATTERN, REF_RULE

T = TypeVar("T")

# Ids are 32-bit in the database; anything larger is a 400, never a database overflow.
MAX_ID = 2_147_483_647

RecordId = Annotated[int, PathParameter(ge=1, le=MAX_ID)]
# Every ref and programme code, in a body, a path or a query: the one grammar of
# `domain/refs.py`, so a ref is always one URL segment and never a spreadsheet formula.
Ref = Annotated[
    str,
    msgspec.Meta(
        min_length=1, max_length=REF_MAX_LENGTH, pattern=REF_PATTERN, description=REF_RULE
    ),
]
ProgrammeCode = Annotated[
    str,
    msgspec.Meta(
        min_length=1, max_length=CODE_MAX_LENGTH, pattern=REF_PATTERN, description=REF_RULE
    ),
]
# A record's reference in a path (a need, an assessment).
RefParam = Annotated[
    str, PathParameter(min_length=1, max_length=REF_MAX_LENGTH, pattern=REF_PATTERN)
]
CodeParam = Annotated[
    str, PathParameter(min_length=1, max_length=CODE_MAX_LENGTH, pattern=REF_PATTERN)
]
BeforeId = Annotated[int | None, QueryParameter(ge=1, le=2**63 - 1)]
BoundedId = Annotated[int, msgspec.Meta(ge=1, le=MAX_ID)]
Version = Annotated[int, msgspec.Meta(ge=1, le=MAX_ID)]


def sent_fields(
    data: msgspec.Struct, *, exclude: tuple[str, ...] = ("version",)
) -> dict[str, Any]:
    """The fields a PATCH body actually sent (those left UNSET were not)."""
    return {
        name: getattr(data, name)
        for name in data.__struct_fields__
        if name not in exclude and getattr(data, name) is not msgspec.UNSET
    }


def to_schema(value: Any, schema: type[T]) -> T:
    """An attrs domain value as its HTTP shape."""
    return msgspec.convert(value, schema, from_attributes=True)


def also_answers(status: int, *media_types: str) -> type[Operation]:
    """An OpenAPI operation whose `status` answer may also come as one of `media_types`.

    For routes that answer JSON or, when asked with `format=`, a text download: Litestar
    documents one content type per status, the JSON one, from the return annotation.
    """

    @dataclass
    class WithDownloads(Operation):
        def __post_init__(self) -> None:
            response = (self.responses or {}).get(str(status))
            if isinstance(response, OpenAPIResponse):
                text = OpenAPIMediaType(schema=Schema(type=OpenAPIType.STRING))
                response.content = {**(response.content or {}), **dict.fromkeys(media_types, text)}

    return WithDownloads
