"""Verdict and evaluation routes."""

from __future__ import annotations

import datetime as dt
from typing import Any

import msgspec
from litestar import Controller, MediaType, Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromQuery, JSONBody

from connecting_families.access.policy import FAMILY_READ, PROGRAMME_MANAGE, Principal
from connecting_families.audit.service import Actor
from connecting_families.domain.dates import as_utc, today
from connecting_families.evaluation.service import EvaluationService
from connecting_families.http_params import CodeParam, RecordId, also_answers


class EvaluationRequest(msgspec.Struct, forbid_unknown_fields=True):
    as_of: dt.date
    known_at: dt.datetime | None = None


class VerdictController(Controller):
    path = "/api/v1/families/{family_id:int}/verdict"
    tags = ["evaluation"]

    @get(opt={"access": FAMILY_READ})
    async def get_verdict(
        self,
        evaluation: NamedDependency[EvaluationService],
        principal: NamedDependency[Principal],
        actor: NamedDependency[Actor],
        family_id: RecordId,
        as_of: FromQuery[dt.date | None] = None,
        known_at: FromQuery[dt.datetime | None] = None,
    ) -> dict[str, Any]:
        """Why the family is or is not yet turned around: every rule, measured and explained.

        Args:
            evaluation: The evaluation service.
            principal: The signed-in caller.
            actor: The caller, for the audit log.
            family_id: The family.
            as_of: The date to judge at (today in England if omitted).
            known_at: Judge the evidence as known at this instant (ISO 8601; UTC if naive).
        """
        verdict = await evaluation.family_verdict(
            principal, actor, family_id, as_of or today(), as_utc(known_at)
        )
        result: dict[str, Any] = msgspec.to_builtins(verdict)
        return result


class EvaluationController(Controller):
    path = "/api/v1/programmes/{code:str}/evaluations"
    tags = ["evaluation"]

    @post(
        opt={"access": PROGRAMME_MANAGE},
        status_code=200,
        operation_class=also_answers(200, "text/csv"),
    )
    async def evaluate_programme(
        self,
        evaluation: NamedDependency[EvaluationService],
        principal: NamedDependency[Principal],
        actor: NamedDependency[Actor],
        code: CodeParam,
        data: JSONBody[EvaluationRequest],
        format: FromQuery[str] = "json",
    ) -> Response[Any]:
        """Evaluate every family of the programme: counts per route, or one CSV line a family.

        Args:
            evaluation: The evaluation service.
            principal: The signed-in caller.
            actor: The caller, for the audit log.
            code: The programme.
            data: The date to judge at, and optionally the instant the evidence is known at.
            format: `json` for the totals, `csv` for a line per family.
        """
        result = await evaluation.evaluate_programme(
            principal, actor, code, data.as_of, as_utc(data.known_at)
        )
        if format == "csv":
            name = f"{code}-evaluation-{data.as_of.isoformat()}.csv"
            return Response(
                result.csv(),
                media_type="text/csv",
                headers={"Content-Disposition": f'attachment; filename="{name}"'},
            )
        totals = msgspec.to_builtins(result)
        totals.pop("rows", None)
        return Response(totals, media_type=MediaType.JSON)
