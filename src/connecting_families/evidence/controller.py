"""A family's evidence: read it as known at any instant, see the timeline, record one item."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from litestar import Controller, Response, get, post
from litestar.di import NamedDependency
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import FromQuery, JSONBody, PathParameter

from connecting_families.access.policy import FAMILY_READ, FAMILY_WRITE, Principal
from connecting_families.audit.service import Actor
from connecting_families.domain.dates import as_utc
from connecting_families.errors import Invalid
from connecting_families.evidence.recording import EvidenceRecorder
from connecting_families.evidence.schemas import EvidenceRecorded, TimelineEntry
from connecting_families.evidence.service import EVIDENCE_TABLES, EvidenceService
from connecting_families.http_params import RecordId, to_schema

Kind = Annotated[str, PathParameter(min_length=1, max_length=32)]


class EvidenceController(Controller):
    path = "/api/v1/families/{family_id:int}"
    tags = ["evidence"]

    @get("/evidence", opt={"access": FAMILY_READ})
    async def list_evidence(
        self,
        evidence_service: NamedDependency[EvidenceService],
        principal: NamedDependency[Principal],
        actor: NamedDependency[Actor],
        family_id: RecordId,
        known_at: FromQuery[dt.datetime | None] = None,
        kind: FromQuery[str | None] = None,
    ) -> dict[str, list[dict[str, Any]]]:
        """The family's records of each kind, as the service knew them at `known_at`.

        Args:
            evidence_service: The evidence service.
            principal: The signed-in caller.
            actor: The caller, for the audit log.
            family_id: The family.
            known_at: An instant (ISO 8601; UTC if no offset); the live records if omitted.
            kind: Only this kind (attendance, exclusions, offences, asb, benefits,
                employment, work_programme, observations, assessments, needs).
        """
        if kind is not None and kind not in EVIDENCE_TABLES:
            raise Invalid(
                f"kind: must be one of {', '.join(EVIDENCE_TABLES)}",
                errors=[{"field": "kind", "message": "unknown kind"}],
            )
        kinds = (kind,) if kind else tuple(EVIDENCE_TABLES)
        return await evidence_service.family_records(
            principal, actor, family_id, as_utc(known_at), kinds
        )

    @get("/timeline", opt={"access": FAMILY_READ})
    async def get_timeline(
        self,
        evidence_service: NamedDependency[EvidenceService],
        principal: NamedDependency[Principal],
        actor: NamedDependency[Actor],
        family_id: RecordId,
        known_at: FromQuery[dt.datetime | None] = None,
    ) -> list[TimelineEntry]:
        """Evidence, assessments, needs and notes by date, newest first.

        Args:
            evidence_service: The evidence service.
            principal: The signed-in caller.
            actor: The caller, for the audit log.
            family_id: The family.
            known_at: An instant (ISO 8601; UTC if no offset): the timeline as it was then.
        """
        entries = await evidence_service.timeline(principal, actor, family_id, as_utc(known_at))
        return to_schema(entries, list[TimelineEntry])

    @post(
        "/evidence/{kind:str}",
        opt={"access": FAMILY_WRITE},
        responses={
            200: ResponseSpec(
                EvidenceRecorded,
                description="The record was there already, unchanged; nothing was recorded.",
            )
        },
    )
    async def record_evidence(
        self,
        recorder: NamedDependency[EvidenceRecorder],
        principal: NamedDependency[Principal],
        actor: NamedDependency[Actor],
        family_id: RecordId,
        kind: Kind,
        data: JSONBody[dict[str, Any]],
    ) -> Response[EvidenceRecorded]:
        """Record one item, validated as a row of the import file of the same kind.

        The fields are the file's columns, e.g. for `asb`: `asb_ref`, `incident_date`, `kind`
        and a member's `person_ref` (or none, for the household). A record with the natural
        key of a live one corrects it (the earlier version stays in history).

        Args:
            recorder: The evidence recorder.
            principal: The signed-in caller.
            actor: The caller, for the audit log.
            family_id: The family.
            kind: attendance, exclusions, offences, asb, benefits, employment,
                work_programme or observations.
            data: The record, as the file's columns and values.
        """
        recorded = await recorder.record_one(principal, actor, family_id, kind, data)
        return Response(
            to_schema(recorded, EvidenceRecorded),
            status_code=200 if recorded.outcome == "unchanged" else 201,
        )
