"""A Hypothesis state machine over the whole service, through its HTTP API.

Random sequences of making and allocating families, recording evidence that may turn them
around, evaluating, preparing claims, excluding lines, drawing and signing off audit samples,
submitting, accepting or rejecting, withdrawing, and closing and reopening families. After
every step:

- each key worker lists exactly their caseload (and the team manager exactly their scope),
  and reading a family outside it is 404;
- no family and route is live twice, and every line is live exactly when the model says;
- the programme totals are the sum of the claim lines;
- a submitted claim's lines, amounts and export never change;
- re-verifying every claim finds no difference.

Each run of the machine gets a fresh database and an app of its own (`model_world.Driven`).
`CF_FUZZ_EXAMPLES` sets the number of runs (default 8 on SQLite, a third of that on
PostgreSQL), `CF_FUZZ_STEPS` the most steps a run takes (default 30); the runs are the same
every time unless `CF_FUZZ_RANDOM=1`, and a failure is shrunk only with `CF_FUZZ_SHRINK=1`
(minutes: every run starts an app). `-s` prints the runs, steps, requests and the writes tried
by outcome. A long run: `CF_FUZZ_EXAMPLES=100 CF_FUZZ_STEPS=40 pytest -s -k whole_model
tests/test_model_stateful.py`.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import os
import time
from collections import Counter
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest
from dateutil.relativedelta import relativedelta
from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)
from litestar import Litestar

from connecting_families.families.tables import FamilyRevision

from access_world import World, build_world
from model_world import (
    CAE,
    CE,
    CLAIMED_STATUSES,
    DECIDED,
    KEY_WORKERS,
    PTW,
    ClaimState,
    Driven,
    FamilyState,
    LineState,
    Model,
    day,
    fresh_postgres,
    fresh_sqlite,
    payable,
    pence,
    tf2012_claimable,
)
from postgres_server import PostgresServer
from test_claims import (
    SECOND,
    load_households,
    prepare,
    sample_sign_submit,
)

EXAMPLES = int(os.environ.get("CF_FUZZ_EXAMPLES", "8"))
STEPS = int(os.environ.get("CF_FUZZ_STEPS", "30"))
MAX_FAMILIES = 6
PHASES = [Phase.explicit, Phase.generate] + (
    [Phase.shrink] if os.environ.get("CF_FUZZ_SHRINK") == "1" else []
)

# Dates chosen around the tf2012 windows: attachment in 2012/13 or 2013/14, offences and
# incidents before attachment (identification and the pre-window) or after (the post-window).
ATTACHED = ("2012-10-01", "2013-02-01", "2013-06-01")
IDENTIFIED = "2012-09-01"
EVENT_DATES = ("2012-06-01", "2012-11-01", "2013-01-15", "2013-05-01", "2013-10-01", "2014-01-15")
# For each attachment date, a date in its pre-window (the six months before).
PRE_ATTACHMENT = {
    "2012-10-01": "2012-06-01",
    "2013-02-01": "2012-11-01",
    "2013-06-01": "2013-05-01",
}
# tf2012 payments in pence by the financial year (from April) of attachment.
PAYMENTS = {
    2012: {CAE: 70_000, PTW: 10_000, CE: 80_000},
    2013: {CAE: 150_000, PTW: 10_000, CE: 160_000},
    2014: {CAE: 230_000, PTW: 10_000, CE: 240_000},
}
ATTACHMENT_FEES = {2012: 320_000, 2013: 240_000, 2014: 160_000}
CLAIM_DATES = ("2013-09-01", "2014-03-01", "2014-09-01", "2015-03-01")
BENEFIT_STARTS = ("2012-01-01", "2012-08-01")
JOB_STARTS = ("2012-11-01", "2013-03-01", "2013-07-01", "2013-11-01")
PROGRAMME_STARTS = ("2013-03-01", "2013-08-01", "2014-02-01")
LEAVING_DATES = ("2013-04-01", "2013-12-01", "2014-05-01")
CLOSING_DATES = ("2012-11-15", "2014-01-01", "2014-06-01")
TOTALS_AS_OF = "2015-06-01"
ACTORS = ("key_worker", "pm", "tm", *KEY_WORKERS)

indices = st.integers(min_value=0, max_value=63)


class WholeModel(RuleBasedStateMachine):
    """The service against the model of `model_world`. Set `make_database` before running."""

    make_database: Any = None
    data_dir: Path = Path()

    def __init__(self) -> None:
        super().__init__()
        self.driven = Driven(type(self).make_database(), self.data_dir)
        self.model = Model()
        self.made = 0
        self.steps = 0
        # Whether anything was written (or refused) since the invariants were checked.
        self.written = True
        # The attachment fees of the families eligible at a date, as the evaluation says.
        self.attachment_fees: dict[str, int] = {}

    def teardown(self) -> None:
        RUNS.append((self.steps, self.driven.requests))
        self.driven.close()

    # Helpers

    def call(self, user: str, method: str, url: str, **kwargs: Any) -> Any:
        started = time.perf_counter()
        response = self.driven.call(user, method, url, **kwargs)
        shape = "/".join("{id}" if part.isdigit() else part for part in url.split("/")[3:])
        TIMES[f"{method} {shape}"] += time.perf_counter() - started
        if method != "GET" and not url.endswith(("/verify", "/evaluations")):
            self.written = True
            # What the runs tried: "POST /claims/{id}/submit 409", by the route's shape.
            SEEN[f"{method} {shape} {response.status_code}"] += 1
        return response

    def pick_family(self, index: int, *, made: bool = False) -> FamilyState | None:
        candidates = list(self.model.families.values())
        if made:  # the machine's own households: they have people to record evidence of
            candidates = [f for f in candidates if f.child is not None]
        return candidates[index % len(candidates)] if candidates else None

    def actor_for(self, actor: str, family: FamilyState) -> str:
        if actor == "key_worker":
            return family.key_worker or "pm"
        return actor

    def version(self, family: FamilyState) -> int:
        response = self.call("pm", "GET", f"/api/v1/families/{family.id}")
        assert response.status_code == 200, response.text
        version: int = response.json()["version"]
        return version

    # The world

    @initialize(
        households=st.lists(
            st.tuples(st.sampled_from(("pm", *KEY_WORKERS)), st.sampled_from(ATTACHED)),
            min_size=1,
            max_size=3,
        ),
        first_claim=st.sampled_from(CLAIM_DATES),
        decided=st.booleans(),
    )
    def start(self, households: list[tuple[str, str]], first_claim: str, decided: bool) -> None:
        """The access world, and a few households that are turned around (a child's offence
        before attachment, an adult on JSA, the local filter) until evidence says otherwise;
        a first claim, perhaps seen through to the department's decision."""
        world = self.driven.world
        workers = {"own": "kw_own", "other_team": "kw_other", "shared": "kw_own"}
        for name, family_id in world.families.items():
            self.model.families[family_id] = FamilyState(
                id=family_id,
                ref=f"F-{name}",
                programme="P2" if name == "other_programme" else "P1",
                identified_on=dt.date(2013, 1, 1),
                key_worker=workers.get(name),
                shared_with={"kw_spare"} if name == "shared" else set(),
            )
        for creator, attached in households:
            family = self.make_family(creator, attached, local_filter=True)
            offence = PRE_ATTACHMENT[attached]
            self.record(
                family,
                creator,
                "offences",
                (f"{family.ref}-O1",),
                {
                    "person_ref": family.child,
                    "offence_ref": f"{family.ref}-O1",
                    "offence_date": offence,
                },
            )
            self.record(
                family,
                creator,
                "benefits",
                ("JSA", "2012-01-01"),
                {"person_ref": family.adult, "benefit": "JSA", "start_date": "2012-01-01"},
            )
        self.prepare(first_claim)
        if decided and self.model.claims:
            [claim] = self.model.claims.values()
            self.audit_and_submit_claim(claim, count=1, seed=0, decide=True, rejected=set())

    # Families

    @precondition(lambda self: self.made < MAX_FAMILIES)
    @rule(
        creator=st.sampled_from(("pm", *KEY_WORKERS)),
        attached=st.sampled_from(ATTACHED),
        local_filter=st.booleans(),
    )
    def new_family(self, creator: str, attached: str, local_filter: bool) -> None:
        self.make_family(creator, attached, local_filter)

    def make_family(self, creator: str, attached: str, local_filter: bool) -> FamilyState:
        """A new household (a child and an adult), attached; a key worker who records it
        becomes its key worker."""
        self.made += 1
        ref = f"M{self.made}"
        created = self.call(
            creator,
            "POST",
            "/api/v1/families",
            json={
                "programme": "P1",
                "family_ref": ref,
                "identified_on": IDENTIFIED,
                "local_filter": local_filter,
            },
        )
        assert created.status_code == 201, created.text
        body = created.json()
        expected_worker = creator if creator in KEY_WORKERS else None
        assert body["key_worker"] == expected_worker
        family = FamilyState(
            id=body["id"],
            ref=ref,
            programme="P1",
            identified_on=day(IDENTIFIED),
            key_worker=expected_worker,
            child=f"{ref}-C",
            adult=f"{ref}-A",
        )
        self.model.families[family.id] = family
        for role, person_ref, born in (
            ("child", family.child, "2000-05-01"),
            ("adult", family.adult, "1980-01-01"),
        ):
            added = self.call(
                creator,
                "POST",
                f"/api/v1/families/{family.id}/members",
                json={
                    "role": role,
                    "person": {
                        "given_name": f"{role.title()}{self.made}",
                        "family_name": f"Household{self.made}",
                        "date_of_birth": born,
                        "person_ref": person_ref,
                    },
                },
            )
            assert added.status_code == 201, added.text
        attach = self.call(
            creator,
            "POST",
            f"/api/v1/families/{family.id}/status",
            json={"version": self.version(family), "status": "attached", "on": attached},
        )
        assert attach.status_code == 200, attach.text
        family.attached_on = day(attached)
        return family

    @rule(index=indices, worker=st.sampled_from(KEY_WORKERS), by=st.sampled_from(("tm", "pm")))
    def allocate(self, index: int, worker: str, by: str) -> None:
        """A team manager allocates within their team and scope; a programme manager to any
        key worker of the programme."""
        family = self.pick_family(index)
        assert family is not None
        response = self.call(
            by,
            "PUT",
            f"/api/v1/families/{family.id}/allocation",
            json={"key_worker": worker, "reason": "caseload balancing"},
        )
        if not self.model.writable(by, family):
            expected = 404
        elif by == "tm" and worker not in ("kw_own", "kw_spare"):
            expected = 403
        elif family.key_worker == worker:
            expected = 409
        else:
            expected = 200
        assert response.status_code == expected, response.text
        if expected == 200:
            family.key_worker = worker

    @rule(index=indices, worker=st.sampled_from((*KEY_WORKERS, "tm")))
    def read_family(self, index: int, worker: str) -> None:
        """A worker reads a family's record and verdict: found exactly when in scope."""
        family = self.pick_family(index)
        assert family is not None
        visible = (
            family.id in self.model.manager_scope()
            if worker == "tm"
            else family.id in self.model.caseload(worker)
        )
        for path in ("", "/verdict?as_of=2014-03-01", "/evidence"):
            response = self.call(worker, "GET", f"/api/v1/families/{family.id}{path}")
            assert response.status_code == (200 if visible else 404), (path, response.text)
        if worker == "tm":
            return
        # Their own caseload's counts: the families allocated to them (not those shared).
        mine = [f for f in self.model.families.values() if f.key_worker == worker]
        load = self.call(worker, "GET", "/api/v1/caseload").json()
        assert (load["families"], load["attached"], load["identified"]) == (
            len(mine),
            sum(1 for f in mine if f.status == "attached"),
            sum(1 for f in mine if f.status == "identified"),
        )

    @rule(
        index=indices,
        actor=st.sampled_from(ACTORS),
        child=st.booleans(),
        on=st.sampled_from(LEAVING_DATES),
    )
    def member_leaves(self, index: int, actor: str, child: bool, on: str) -> None:
        """The child or the adult leaves the household (their membership is superseded: the
        claims made before must still verify)."""
        family = self.pick_family(index, made=True)
        if family is None:
            return
        person_ref = family.child if child else family.adult
        members = self.call("pm", "GET", f"/api/v1/families/{family.id}/members").json()
        [member] = [m for m in members if m["person_ref"] == person_ref]
        user = self.actor_for(actor, family)
        response = self.call(
            user,
            "POST",
            f"/api/v1/families/{family.id}/members/{member['membership_id']}/leave",
            json={"version": member["membership_version"], "left_on": on},
        )
        if not self.model.writable(user, family):
            expected = 404
        elif person_ref in family.left or family.closed_on is not None:
            expected = 409  # left already, or the case is closed (reopen it first)
        else:
            expected = 200
        assert response.status_code == expected, response.text
        if expected == 200:
            family.left[person_ref] = day(on)
            assert response.json()["left_on"] == on

    # Evidence

    def record(
        self,
        family: FamilyState,
        actor: str,
        kind: str,
        key: tuple[Any, ...],
        fields: dict[str, Any],
    ) -> None:
        """Record one item as `actor`: refused (404) outside their scope; otherwise new,
        a correction of the live record with the same key, or unchanged."""
        user = self.actor_for(actor, family)
        response = self.call(
            user, "POST", f"/api/v1/families/{family.id}/evidence/{kind}", json=fields
        )
        if not self.model.writable(user, family):
            assert response.status_code == 404, response.text
            return
        before = family.evidence.get((kind, key))
        if before == fields:
            assert (response.status_code, response.json()["outcome"]) == (200, "unchanged")
        else:
            outcome = "inserted" if before is None else "superseded"
            assert (response.status_code, response.json()["outcome"]) == (201, outcome), (
                response.text
            )
        family.evidence[(kind, key)] = fields

    @rule(
        index=indices,
        actor=st.sampled_from(ACTORS),
        kind=st.sampled_from(("offences", "asb", "benefits", "employment", "work_programme")),
        number=st.integers(1, 3),
        on=st.sampled_from(EVENT_DATES),
        benefit=st.sampled_from(("JSA", "ESA")),
        end=st.sampled_from((None, "2012-09-30", "2013-08-31", "2014-01-31")),
    )
    def record_evidence(
        self,
        index: int,
        actor: str,
        kind: str,
        number: int,
        on: str,
        benefit: str,
        end: str | None,
    ) -> None:
        """A child's offence, an ASB incident (the household's or the child's), the adult's
        benefit spell, job or work programme start; a known key makes it a correction."""
        family = self.pick_family(index, made=True)
        if family is None:
            return
        fields: dict[str, Any]
        if kind == "offences":
            ref = f"{family.ref}-O{number}"
            key: tuple[Any, ...] = (ref,)
            fields = {"person_ref": family.child, "offence_ref": ref, "offence_date": on}
        elif kind == "asb":
            ref = f"{family.ref}-B{number}"
            key = (ref,)
            fields = {"asb_ref": ref, "incident_date": on, "kind": "incident"}
            if number == 2:
                fields["person_ref"] = family.child
        elif kind == "benefits":
            start = BENEFIT_STARTS[number % len(BENEFIT_STARTS)]
            key = (benefit, start)
            fields = {"person_ref": family.adult, "benefit": benefit, "start_date": start}
            if end and end < "2013":
                fields["end_date"] = end
        elif kind == "employment":
            start = JOB_STARTS[number]
            key = (start,)
            fields = {"person_ref": family.adult, "start_date": start, "hours_per_week": 20}
            if end and end > start:
                fields["end_date"] = end
        else:
            start = PROGRAMME_STARTS[number - 1]
            key = ("work_programme", start)
            fields = {
                "person_ref": family.adult,
                "provision": "work_programme",
                "start_date": start,
            }
        self.record(family, actor, kind, key, fields)

    @precondition(lambda self: self.model.unreversed())
    @rule(
        index=indices,
        offence=st.booleans(),
        as_of=st.sampled_from(CLAIM_DATES),
    )
    def disprove_a_paid_result(self, index: int, offence: bool, as_of: str) -> None:
        """Evidence that undoes a result the department accepted, then a claim: a child's
        offence in the six months before the claim's date (crime not reduced), or the
        adult's JSA found to have ended before attachment (no longer eligible)."""
        unreversed = self.model.unreversed()
        claim, line = unreversed[index % len(unreversed)]
        family = self.model.families[line.family_id]
        if offence:
            ref = f"{family.ref}-O3"
            on = (claim.as_of - relativedelta(months=3)).isoformat()
            fields = {"person_ref": family.child, "offence_ref": ref, "offence_date": on}
            self.record(family, "pm", "offences", (ref,), fields)
        else:
            fields = {
                "person_ref": family.adult,
                "benefit": "JSA",
                "start_date": "2012-01-01",
                "end_date": "2012-09-30",
            }
            self.record(family, "pm", "benefits", ("JSA", "2012-01-01"), fields)
        self.prepare(as_of)

    # Evaluation

    def verdicts(self, as_of: str) -> dict[int, dict[str, Any]]:
        """Every family's verdict at `as_of`, as its record's page shows it."""
        found = {}
        for family in self.model.families.values():
            if family.programme != "P1":
                continue
            response = self.call(
                "pm", "GET", f"/api/v1/families/{family.id}/verdict", params={"as_of": as_of}
            )
            assert response.status_code == 200, response.text
            found[family.id] = response.json()
        return found

    def payable_at(self, as_of: str) -> dict[int, dict[str, int]]:
        """Family -> route -> pence of the routes met with a payment at `as_of`: the routes
        from the programme's evaluation (one line a family), the amounts from the tf2012
        payment table by the financial year of attachment."""
        response = self.call(
            "pm",
            "POST",
            "/api/v1/programmes/P1/evaluations",
            params={"format": "csv"},
            json={"as_of": as_of},
        )
        assert response.status_code == 200, response.text
        ids = {f.ref: f.id for f in self.model.families.values() if f.programme == "P1"}
        found = {}
        fees = 0
        for row in csv.DictReader(io.StringIO(response.text)):
            family = self.model.families[ids[row["family_ref"]]]
            routes = row["routes_met"].split()
            year = PAYMENTS.get(financial_year(family.attached_on)) if family.attached_on else {}
            assert year is not None, "no payment for an attachment after 2015-03-31"
            met = {route: year[route] for route in routes}
            # A family is worth what the claim rules would pay it with no earlier claim.
            assert sum(a for _, a in tf2012_claimable(met, {})) == pence(row["amount_gbp"]), row
            found[family.id] = met
            if row["eligible"] == "True":
                assert family.attached_on is not None
                fees += ATTACHMENT_FEES[financial_year(family.attached_on)]
        assert len(found) == len(ids)
        self.attachment_fees[as_of] = fees
        return found

    @rule(as_of=st.sampled_from(CLAIM_DATES))
    def evaluate(self, as_of: str) -> None:
        """The programme's evaluation counts what the families' verdicts say, and so do the
        totals."""
        evaluated = self.call(
            "pm", "POST", "/api/v1/programmes/P1/evaluations", json={"as_of": as_of}
        )
        assert evaluated.status_code == 200, evaluated.text
        counts = evaluated.json()
        verdicts = self.verdicts(as_of).values()
        assert counts["families"] == len(verdicts)
        assert counts["eligible"] == sum(1 for v in verdicts if v["eligible"])
        assert counts["turned_around"] == sum(1 for v in verdicts if v["turned_around"])
        # Routes are counted where met with a payment (not for an ineligible family).
        met = Counter(route for v in verdicts for route in payable(v))
        assert {k: n for k, n in counts["routes"].items() if n} == dict(met)
        paid = Counter[str]()
        for verdict in verdicts:
            paid.update(dict(tf2012_claimable(payable(verdict), {})))
        assert {k: pence(a) for k, a in counts["amounts_gbp"].items() if pence(a)} == dict(paid)
        totals = self.call(
            "pm", "GET", "/api/v1/programmes/P1/totals", params={"as_of": as_of}
        ).json()
        assert totals["turned_around"]["families"] == counts["turned_around"]
        assert totals["families"]["eligible"] == counts["eligible"]

    # Claims

    @rule(as_of=st.sampled_from(CLAIM_DATES))
    def prepare(self, as_of: str) -> None:
        """A claim holds exactly what the rules make newly claimable given the live lines,
        and the reversals of decided lines no longer met."""
        model = self.model
        met = self.payable_at(as_of)
        earlier = model.earlier()
        judged_at: dict[dt.date, dict[int, dict[str, int]]] = {day(as_of): met}
        reversals = set()
        for claim, line in model.unreversed():
            if claim.as_of not in judged_at:
                judged_at[claim.as_of] = self.payable_at(claim.as_of.isoformat())
            if line.route not in judged_at[claim.as_of][line.family_id]:
                reversals.add((line.family_id, line.route, -line.amount_pence, line.id))
        waiting = model.being_reversed() | {family for family, *_ in reversals}
        expected = set(reversals)
        for family_id, routes in met.items():
            if family_id in waiting:
                continue
            for route, amount in tf2012_claimable(routes, earlier.get(family_id, {})):
                expected.add((family_id, route, amount, None))
        response = self.call("pm", "POST", "/api/v1/programmes/P1/claims", json={"as_of": as_of})
        if not expected:
            assert response.status_code == 422, response.text
            return
        assert response.status_code == 201, response.text
        claim = response.json()
        got = {
            (
                line["family_id"],
                line["route"],
                pence(line["amount_gbp"]),
                line["reverses"]["line_id"] if line["reverses"] else None,
            )
            for line in claim["lines"]
        }
        assert got == expected
        assert all(line["is_live"] for line in claim["lines"])
        # Rule 4: by family_ref, then route; beside them, the eligible families' fees.
        order = [(line["family_ref"], line["route"]) for line in claim["lines"]]
        assert order == sorted(order)
        assert claim["attachment_fees_gbp"] == gbp(self.attachment_fees[as_of])
        SEEN["claim lines prepared"] += len(got)
        SEEN["reversal lines prepared"] += len(reversals)
        model.claims[claim["id"]] = ClaimState(
            id=claim["id"],
            as_of=day(as_of),
            status="draft",
            lines={
                line["id"]: LineState(
                    id=line["id"],
                    claim_id=claim["id"],
                    family_id=line["family_id"],
                    route=line["route"],
                    amount_pence=pence(line["amount_gbp"]),
                    reverses=line["reverses"]["line_id"] if line["reverses"] else None,
                    excluded=False,
                )
                for line in claim["lines"]
            },
        )

    def open_claims(self) -> list[ClaimState]:
        return [
            c for c in self.model.claims.values() if c.status in ("draft", "sampled", "submitted")
        ]

    def pick_claim(self, index: int) -> ClaimState | None:
        """Mostly a claim still on its way (draft, sampled, submitted); now and then any."""
        claims = self.open_claims()
        if not claims or index % 8 == 7:
            claims = list(self.model.claims.values())
        return claims[index % len(claims)] if claims else None

    @precondition(lambda self: self.model.claims)
    @rule(index=indices, line_index=indices)
    def exclude_line(self, index: int, line_index: int) -> None:
        claim = self.pick_claim(index)
        assert claim is not None
        lines = list(claim.lines.values())
        self.exclude(claim, lines[line_index % len(lines)])

    def exclude(self, claim: ClaimState, line: LineState) -> None:
        response = self.call(
            "pm",
            "POST",
            f"/api/v1/claims/{claim.id}/lines/{line.id}/exclude",
            json={"reason": "the family disputes it"},
        )
        if claim.status != "draft" or line.excluded:
            assert response.status_code == 409, response.text
            return
        assert response.status_code == 200, response.text
        line.excluded = True

    @precondition(lambda self: self.model.claims)
    @rule(
        index=indices,
        by=st.sampled_from(("auditor", "pm")),
        percent=st.one_of(st.none(), st.integers(1, 100)),
        count=st.integers(1, 4),
        seed=st.integers(0, 2**62),
    )
    def sample(self, index: int, by: str, percent: int | None, count: int, seed: int) -> None:
        claim = self.pick_claim(index)
        assert claim is not None
        self.sample_claim(claim, by, percent, count, seed)

    def sample_claim(
        self, claim: ClaimState, by: str, percent: int | None, count: int, seed: int
    ) -> None:
        spec = {"percent": percent} if percent is not None else {"count": count}
        response = self.call(
            by, "POST", f"/api/v1/claims/{claim.id}/sample", json={**spec, "seed": seed}
        )
        live = [line for line in claim.lines.values() if not line.excluded]
        if claim.status != "draft" or not live:
            assert response.status_code == 409, response.text
            return
        assert response.status_code == 200, response.text
        sampled = {line["id"] for line in response.json()["lines"] if line["sampled"]}
        size = count if percent is None else -(-len(live) * percent // 100)
        assert len(sampled) == min(size, len(live))
        assert sampled <= {line.id for line in live}
        for line_id in sampled:
            claim.lines[line_id].sampled = True
        claim.status = "sampled"

    @precondition(lambda self: self.model.claims)
    @rule(index=indices, line_index=indices, by=st.sampled_from(("auditor", "auditor", "pm")))
    def sign_off(self, index: int, line_index: int, by: str) -> None:
        """Only an auditor signs off, only a sampled line, once."""
        claim = self.pick_claim(index)
        assert claim is not None
        self.sign_off_claim(claim, line_index, by)

    def sign_off_claim(self, claim: ClaimState, line_index: int, by: str) -> None:
        sampled = [line for line in claim.lines.values() if line.sampled] or list(
            claim.lines.values()
        )
        line = sampled[line_index % len(sampled)]
        response = self.call(by, "POST", f"/api/v1/claims/{claim.id}/lines/{line.id}/sign-off")
        if by != "auditor":
            assert response.status_code == 403, response.text
        elif claim.status != "sampled" or not line.sampled or line.signed_off:
            assert response.status_code == 409, response.text
        else:
            assert response.status_code == 200, response.text
            line.signed_off = True

    @rule(
        as_of=st.sampled_from(CLAIM_DATES),
        excluded=st.sets(st.integers(0, 7), max_size=2),
        count=st.integers(1, 4),
        seed=st.integers(0, 2**62),
        rejected=st.sets(st.integers(0, 7), max_size=2),
    )
    def see_a_claim_through(
        self, as_of: str, excluded: set[int], count: int, seed: int, rejected: set[int]
    ) -> None:
        """A claim from preparation to the department's decision in one step: some lines
        excluded, a sample signed off, submitted, accepted or partly rejected."""
        before = set(self.model.claims)
        self.prepare(as_of)
        [claim_id] = set(self.model.claims) - before or [None]
        if claim_id is None:
            return
        claim = self.model.claims[claim_id]
        lines = list(claim.lines.values())
        for index in sorted(excluded)[: len(lines) - 1]:
            self.exclude(claim, lines[index % len(lines)])
        self.audit_and_submit_claim(claim, count, seed, decide=True, rejected=rejected)

    @precondition(lambda self: self.model.claims)
    @rule(
        index=indices,
        count=st.integers(1, 4),
        seed=st.integers(0, 2**62),
        decide=st.booleans(),
        rejected=st.sets(st.integers(0, 7), max_size=2),
    )
    def audit_and_submit(
        self, index: int, count: int, seed: int, decide: bool, rejected: set[int]
    ) -> None:
        """The whole way to submission in one step, and perhaps the decision: a sample,
        every sampled line signed off, submitted (each step also a rule of its own)."""
        claim = self.pick_claim(index)
        assert claim is not None
        self.audit_and_submit_claim(claim, count, seed, decide, rejected)

    def audit_and_submit_claim(
        self, claim: ClaimState, count: int, seed: int, decide: bool, rejected: set[int]
    ) -> None:
        if claim.status == "draft":
            self.sample_claim(claim, "auditor", None, count, seed)
        if claim.status != "sampled":
            return
        sampled = [line for line in claim.lines.values() if line.sampled]
        for position, line in enumerate(sampled):
            if not line.signed_off:
                self.sign_off_claim(claim, position, "auditor")
                assert line.signed_off
        self.submit_claim(claim)
        if decide:
            self.decide_claim(claim, rejected)

    @precondition(lambda self: self.model.claims)
    @rule(index=indices)
    def submit(self, index: int) -> None:
        claim = self.pick_claim(index)
        assert claim is not None
        self.submit_claim(claim)

    def submit_claim(self, claim: ClaimState) -> None:
        response = self.call("pm", "POST", f"/api/v1/claims/{claim.id}/submit")
        waiting = any(line.sampled and not line.signed_off for line in claim.lines.values())
        if claim.status != "sampled" or waiting:
            assert response.status_code == 409, response.text
            return
        assert response.status_code == 200, response.text
        claim.status = "submitted"
        claim.snapshot = self.snapshot(claim.id)

    @precondition(lambda self: self.model.claims)
    @rule(index=indices, rejected=st.sets(st.integers(0, 7), max_size=3))
    def decide(self, index: int, rejected: set[int]) -> None:
        """The department accepts the claim, or rejects some of its claimed lines."""
        claim = self.pick_claim(index)
        assert claim is not None
        self.decide_claim(claim, rejected)

    def decide_claim(self, claim: ClaimState, rejected: set[int]) -> None:
        claimed = [line for line in claim.lines.values() if not line.excluded]
        chosen = {claimed[i % len(claimed)].id for i in rejected} if claimed else set()
        response = self.call(
            "pm",
            "POST",
            f"/api/v1/claims/{claim.id}/decision",
            json={"rejections": [{"line_id": i, "reason": "spot check"} for i in sorted(chosen)]},
        )
        if claim.status != "submitted":
            assert response.status_code == 409, response.text
            return
        assert response.status_code == 200, response.text
        SEEN["claim lines rejected"] += len(chosen)
        for line_id in chosen:
            claim.lines[line_id].rejected = True
        claim.status = "partly_rejected" if chosen else "accepted"
        assert response.json()["status"] == claim.status

    @precondition(lambda self: self.model.claims)
    @rule(index=indices)
    def withdraw(self, index: int) -> None:
        claim = self.pick_claim(index)
        assert claim is not None
        response = self.call(
            "pm", "POST", f"/api/v1/claims/{claim.id}/withdraw", json={"reason": "too early"}
        )
        if claim.status not in ("draft", "sampled"):
            assert response.status_code == 409, response.text
            return
        assert response.status_code == 200, response.text
        claim.status = "withdrawn"

    # Closures

    @rule(
        index=indices,
        actor=st.sampled_from(ACTORS),
        on=st.sampled_from(CLOSING_DATES),
        reopen=st.booleans(),
    )
    def close_or_reopen(self, index: int, actor: str, on: str, reopen: bool) -> None:
        family = self.pick_family(index, made=True)
        if family is None:
            return
        user = self.actor_for(actor, family)
        status = "reopened" if reopen else "closed"
        body: dict[str, Any] = {"version": self.version(family), "status": status, "on": on}
        if not reopen:
            body["reason"] = "outcomes_met"
        response = self.call(user, "POST", f"/api/v1/families/{family.id}/status", json=body)
        start = family.attached_on or family.identified_on
        if not self.model.writable(user, family):
            expected = 404
        elif (family.status == "closed") != reopen:
            expected = 409
        elif (reopen and family.closed_on and day(on) < family.closed_on) or day(on) < start:
            expected = 422
        else:
            expected = 200
        assert response.status_code == expected, response.text
        if expected != 200:
            return
        family.closed_on = None if reopen else day(on)
        family.latest_closure = None
        assert response.json()["status"] == family.status
        if not reopen:
            family.latest_closure = -1  # its id is learnt from the sign-off queue

    @rule(index=indices)
    def sign_off_closure(self, index: int) -> None:
        """The team manager's queue holds the standing closures in their scope, unsigned."""
        queue = self.call("tm", "GET", "/api/v1/closures/awaiting-sign-off")
        assert queue.status_code == 200, queue.text
        scope = self.model.manager_scope()
        expected = {
            f.id
            for f in self.model.families.values()
            if f.latest_closure is not None and f.id in scope
        }
        waiting = queue.json()
        assert {c["family_id"] for c in waiting} == expected
        if not waiting:
            return
        closure = waiting[index % len(waiting)]
        signed = self.call(
            "tm",
            "POST",
            f"/api/v1/families/{closure['family_id']}/closures/{closure['id']}/sign-off",
        )
        assert signed.status_code == 200, signed.text
        self.model.families[closure["family_id"]].latest_closure = None

    # Invariants

    @invariant()
    def count_steps(self) -> None:
        self.steps += 1

    @invariant()
    def after_a_write(self) -> None:
        """After any write, done or refused (a step that only reads changes nothing)."""
        if not self.written:
            return
        self.caseloads_are_exact()
        self.claims_are_as_the_model_says()
        self.every_claim_verifies()
        self.totals_are_the_sum_of_claim_lines()
        self.written = False

    def caseloads_are_exact(self) -> None:
        """Each key worker lists exactly their caseload, the team manager their scope."""
        for user in (*KEY_WORKERS, "tm"):
            response = self.call(user, "GET", "/api/v1/families", params={"limit": 200})
            assert response.status_code == 200, response.text
            listed = {f["id"] for f in response.json()["families"]}
            expected = self.model.manager_scope() if user == "tm" else self.model.caseload(user)
            assert listed == expected, user

    def shown(self, claim_id: int) -> dict[str, Any]:
        response = self.call("pm", "GET", f"/api/v1/claims/{claim_id}")
        assert response.status_code == 200, response.text
        shown: dict[str, Any] = response.json()
        return shown

    def snapshot(self, claim_id: int) -> Any:
        """What a submitted claim may never change: its lines as claimed, and its return."""
        claim = self.shown(claim_id)
        kept = ("claim_ref", "as_of", "ruleset", "prepared_at", "submitted_at", "sample")
        lines = [
            {k: v for k, v in line.items() if k not in ("is_live", "rejected_reason")}
            for line in claim["lines"]
        ]
        export = self.call("pm", "GET", f"/api/v1/claims/{claim_id}/export.csv")
        assert export.status_code == 200, export.text
        return {k: claim[k] for k in kept}, claim["attachment_fees_gbp"], lines, export.text

    def claims_are_as_the_model_says(self) -> None:
        """Every line is live exactly when the model says; no family and route is live
        twice; a submitted claim never changes."""
        live_pairs = []
        listed = self.call("pm", "GET", "/api/v1/programmes/P1/claims").json()["claims"]
        assert [c["id"] for c in listed] == sorted(self.model.claims)
        for row in listed:
            claim = self.model.claims[row["id"]]
            lines = claim.lines.values()
            # Claimed: neither excluded, rejected nor withdrawn (a reversed line still counts
            # in the claim that paid it).
            claimed = sum(x.amount_pence for x in lines if self.model.counted(claim, x))
            assert (row["status"], row["live_lines"], row["amount_gbp"]) == (
                claim.status,
                sum(1 for x in lines if self.model.live(claim, x)),
                gbp(claimed),
            ), row
        for claim in self.model.claims.values():
            shown = self.shown(claim.id)
            assert shown["status"] == claim.status
            assert shown["amount_gbp"] == gbp(
                sum(x.amount_pence for x in claim.lines.values() if self.model.counted(claim, x))
            )
            lines = {line["id"]: line for line in shown["lines"]}
            assert set(lines) == set(claim.lines)
            for line_id, line in claim.lines.items():
                got = lines[line_id]
                assert got["is_live"] == self.model.live(claim, line), (claim.id, line_id)
                assert (got["excluded_reason"] is not None) == line.excluded
                assert (got["rejected_reason"] is not None) == line.rejected
                assert got["sampled"] == line.sampled
                assert (got["signed_off_by"] is not None) == line.signed_off
                assert pence(got["amount_gbp"]) == line.amount_pence
                if got["is_live"] and got["reverses"] is None:
                    live_pairs.append((got["family_id"], got["route"]))
            if claim.snapshot is not None:
                assert self.snapshot(claim.id) == claim.snapshot, claim.id
        assert len(live_pairs) == len(set(live_pairs))

    def every_claim_verifies(self) -> None:
        """Re-running any claim as it was decided finds no difference."""
        for claim in self.model.claims.values():
            response = self.call("auditor", "POST", f"/api/v1/claims/{claim.id}/verify")
            assert response.status_code == 200, response.text
            assert response.json()["differences"] == [], claim.id

    def totals_are_the_sum_of_claim_lines(self) -> None:
        """Claimed, accepted and rejected money by route, as the claim lines add up; the
        families counted as the model holds them."""
        response = self.call(
            "pm", "GET", "/api/v1/programmes/P1/totals", params={"as_of": TOTALS_AS_OF}
        )
        assert response.status_code == 200, response.text
        totals = response.json()
        figures: dict[str, dict[str, int]] = {}
        for claim, line in self.model.lines():
            if claim.status not in CLAIMED_STATUSES or line.excluded:
                continue
            route = figures.setdefault(
                line.route,
                dict.fromkeys(("lines", "reversals", "claimed", "accepted", "rejected"), 0),
            )
            if line.rejected:
                if line.reverses is None:
                    route["rejected"] += line.amount_pence
                continue
            route["reversals" if line.reverses else "lines"] += 1
            route["claimed"] += line.amount_pence
            if claim.status in DECIDED:
                route["accepted"] += line.amount_pence
        assert totals["claimed"] == {
            route: {
                "lines": f["lines"],
                "reversals": f["reversals"],
                "claimed_gbp": gbp(f["claimed"]),
                "accepted_gbp": gbp(f["accepted"]),
                "rejected_gbp": gbp(f["rejected"]),
            }
            for route, f in sorted(figures.items())
        }
        assert totals["income"]["results_claimed_gbp"] == gbp(
            sum(f["claimed"] for f in figures.values())
        )
        p1 = [f for f in self.model.families.values() if f.programme == "P1"]
        as_of = day(TOTALS_AS_OF)
        attached = [f for f in p1 if f.attached_on and f.attached_on <= as_of]
        closed = [f for f in p1 if f.closed_on and f.closed_on <= as_of]
        assert totals["families"]["identified"] == len(p1)
        assert totals["families"]["attached"] == len(attached)
        assert totals["families"]["closed"] == len(closed)
        assert totals["families"]["active"] == len([f for f in attached if f not in closed])
        by_worker = Counter(f.key_worker or "" for f in p1)
        assert {row["key"]: row["identified"] for row in totals["by_key_worker"]} == by_worker
        # Each family's lines once, whichever breakdown: every one adds up to the whole.
        claimed = sum(f["claimed"] for f in figures.values())
        for breakdown in ("by_ward", "by_team", "by_key_worker"):
            rows = totals[breakdown]
            assert sum(pence(row["claimed_gbp"]) for row in rows) == claimed, breakdown


def financial_year(on: dt.date) -> int:
    """The year its April starts: attachments before April 2012 are paid as 2012/13."""
    return max(2012, on.year if on.month >= 4 else on.year - 1)


def gbp(amount_pence: int) -> str:
    return f"{Decimal(amount_pence) / 100:.2f}"


# (steps, requests) of each run, and the writes tried by outcome, for the report at the end.
RUNS: list[tuple[int, int]] = []
SEEN: Counter[str] = Counter()
TIMES: Counter[str] = Counter()


def run_machine(make_database: Any, data_dir: Path, examples: int, steps: int) -> None:
    WholeModel.make_database = staticmethod(make_database)
    WholeModel.data_dir = data_dir
    RUNS.clear()
    SEEN.clear()
    run_state_machine_as_test(
        WholeModel,
        settings=settings(
            max_examples=examples,
            stateful_step_count=steps,
            deadline=None,
            # The same runs every time in CI; CF_FUZZ_RANDOM=1 explores new ones.
            derandomize=os.environ.get("CF_FUZZ_RANDOM") != "1",
            database=None,
            # A run starts an app on a database of its own: shrinking a failure takes many
            # minutes, so it is asked for (CF_FUZZ_SHRINK=1) rather than done in every run.
            phases=PHASES,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
        ),
    )
    print(
        f"model runs: {len(RUNS)}, steps: {sum(s for s, _ in RUNS)}, requests: "
        f"{sum(r for _, r in RUNS)}"
    )
    for what, took in TIMES.most_common(12):
        print(f"  {took:6.1f}s {what}")
    for what, count in sorted(SEEN.items()):
        print(f"  {count:5d} {what}")


@pytest.mark.parametrize("database_kind", ["sqlite"])
def test_the_whole_model_holds_on_sqlite(
    sqlite_template: Path, tmp_path: Path, database_kind: str
) -> None:
    """Random sequences of casework and claims keep every invariant (SQLite)."""
    run_machine(fresh_sqlite(sqlite_template, tmp_path), tmp_path / "var", EXAMPLES, STEPS)


@pytest.mark.parametrize("database_kind", ["postgresql"])
def test_the_whole_model_holds_on_postgresql(
    request: pytest.FixtureRequest, tmp_path: Path, database_kind: str
) -> None:
    """The same on PostgreSQL, a smaller run (a third of the runs)."""
    server: PostgresServer = request.getfixturevalue("postgres_server")
    template: str = request.getfixturevalue("postgres_template")
    databases = fresh_postgres(server.url(), template, server.url)
    run_machine(databases, tmp_path / "var", max(1, EXAMPLES // 3), STEPS)


# Regressions: each a bug the machine found, kept as a plain test.


@pytest.fixture
async def claimed(client: httpx.AsyncClient, app: Litestar) -> tuple[World, dict[str, Any]]:
    """FAM-1 of `test_claims`, with its results at SECOND in a submitted claim."""
    world = await build_world(app.state.accounts)
    await load_households(client, world)
    prepared = await prepare(client, world, SECOND)
    assert prepared.status_code == 201, prepared.text
    return world, await sample_sign_submit(client, world, prepared.json()["id"])


async def test_a_claim_verifies_after_its_family_is_closed(
    client: httpx.AsyncClient, claimed: tuple[World, dict[str, Any]]
) -> None:
    """Closing (or reopening) a family after its results were claimed changes nothing the
    claim was decided on: re-verifying it finds no difference."""
    world, claim = claimed
    family_id = claim["lines"][0]["family_id"]
    url = f"/api/v1/families/{family_id}"
    for status, on in (("closed", "2014-06-01"), ("reopened", "2014-07-01")):
        version = (await client.get(url, headers=world.headers("pm"))).json()["version"]
        changed = await client.post(
            f"{url}/status",
            json={"version": version, "status": status, "on": on, "reason": "outcomes_met"}
            if status == "closed"
            else {"version": version, "status": status, "on": on},
            headers=world.headers("pm"),
        )
        assert changed.status_code == 200, changed.text
        verified = await client.post(
            f"/api/v1/claims/{claim['id']}/verify", headers=world.headers("auditor")
        )
        assert verified.json()["differences"] == [], status


async def test_a_claim_verifies_after_its_family_is_corrected(
    client: httpx.AsyncClient, claimed: tuple[World, dict[str, Any]]
) -> None:
    """Correcting the family's facts after its results were claimed (the local filter, the
    date it was identified) leaves the claim as it was decided: re-verifying it finds no
    difference, and the values each change replaced are kept."""
    world, claim = claimed
    family_id = claim["lines"][0]["family_id"]
    url = f"/api/v1/families/{family_id}"
    family = (await client.get(url, headers=world.headers("pm"))).json()
    for change in ({"local_filter": not family["local_filter"]}, {"identified_on": "2013-01-02"}):
        version = (await client.get(url, headers=world.headers("pm"))).json()["version"]
        changed = await client.patch(
            url, json={"version": version, **change}, headers=world.headers("pm")
        )
        assert changed.status_code == 200, changed.text
        verified = await client.post(
            f"/api/v1/claims/{claim['id']}/verify", headers=world.headers("auditor")
        )
        assert verified.json()["differences"] == [], change
    revisions = await FamilyRevision.count().where(FamilyRevision.family == family_id)
    assert revisions == 2
