"""Programme totals, early help indicators, the forecast and the monthly report."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Awaitable, Callable, Sequence
from decimal import Decimal
from typing import Any, TypeVar

from connecting_families.access.policy import Principal
from connecting_families.audit.service import Actor, record
from connecting_families.claims.service import claims_programme, live_claimed
from connecting_families.claims.tables import ClaimWindow
from connecting_families.database.bulk import Bulk
from connecting_families.database.engine import AnyEngine
from connecting_families.domain.calendar import financial_year_start, months_after, months_before
from connecting_families.domain.claims import gbp, near_miss
from connecting_families.domain.dates import today
from connecting_families.domain.verdict import RouteResult, Verdict
from connecting_families.errors import Invalid, Unavailable
from connecting_families.evaluation.service import EvaluationService
from connecting_families.families.tables import Family
from connecting_families.programmes.service import ruleset_config_of, visible_programme
from connecting_families.programmes.tables import Programme
from connecting_families.reports import totals as totals_sql
from connecting_families.reports.front_door import contacts_by_month
from connecting_families.reports.indicators import Period, indicators
from connecting_families.reports.tables import VerdictFact, VerdictRun
from connecting_families.reports.verdicts import verdict_run

T = TypeVar("T")

PROGRAMME_COLUMNS = (
    Programme.ruleset_id,
    Programme.ruleset_config,
    Programme.evidence_version,
    Programme.target_families,
    Programme.assessment_timescale_days,
    Programme.assessment_rate_target,
)


class ReportService:
    def __init__(self, engine: AnyEngine, evaluation: EvaluationService) -> None:
        self.engine = engine
        self.evaluation = evaluation

    async def _programme(self, principal: Principal | None, code: str) -> dict[str, Any]:
        return dict(await visible_programme(principal, code, *PROGRAMME_COLUMNS))

    async def _from_run(
        self, programme: dict[str, Any], as_of: dt.date, read: Callable[[int], Awaitable[T]]
    ) -> T:
        """`read` of the programme's verdict run at `as_of`.

        Another request may drop the run (its evidence moved on) while this one reads it;
        the drop is one transaction, so a run still there after the read was read whole.
        """
        for _ in range(3):
            run_id = await verdict_run(self.engine, self.evaluation, programme, as_of)
            result = await read(run_id)
            if await VerdictRun.exists().where(VerdictRun.id == run_id):
                return result
        raise Unavailable("The programme's records are changing too fast to count; try again.")

    async def _totals(
        self, programme: dict[str, Any], code: str, as_of: dt.date
    ) -> dict[str, Any]:
        async def read(run_id: int) -> dict[str, Sequence[Sequence[Any]]]:
            results = {}
            async with self.engine.transaction() as transaction:
                bulk = Bulk(transaction)
                statements = totals_sql.statements(programme["id"], run_id, bulk.day(as_of))
                for name, sql, params in statements:
                    results[name] = await bulk.rows(sql, *params)
            return results

        results = await self._from_run(programme, as_of, read)
        return totals_sql.fold(
            results,
            code=code,
            as_of=as_of,
            target_families=programme["target_families"],
            evidence_version=programme["evidence_version"],
        )

    async def totals(
        self, principal: Principal | None, actor: Actor, code: str, as_of: dt.date | None
    ) -> dict[str, Any]:
        """The programme's figures at `as_of` (today if None); see `reports.totals`."""
        programme = await self._programme(principal, code)
        as_of = as_of or today()
        result = await self._totals(programme, code, as_of)
        await record(
            actor, "programme.totals", "programme", code, detail={"as_of": as_of.isoformat()}
        )
        return result

    async def _indicators(self, programme: dict[str, Any], period: Period) -> dict[str, Any]:
        async with self.engine.transaction() as transaction:
            return await indicators(Bulk(transaction), programme, period)

    async def indicators(
        self, principal: Principal | None, actor: Actor, code: str, period: Period
    ) -> dict[str, Any]:
        programme = await self._programme(principal, code)
        result = await self._indicators(programme, period)
        await record(actor, "programme.indicators", "programme", code, detail=result["period"])
        return result

    # The forecast

    async def _next_window(self, programme_id: int, after: dt.date) -> dict[str, Any]:
        window = (
            await ClaimWindow.select(ClaimWindow.id, ClaimWindow.name, ClaimWindow.as_of)
            .where(
                ClaimWindow.programme == programme_id,
                ClaimWindow.as_of > after,
                # A window closed early takes no claim, so nothing is forecast to it.
                ClaimWindow.closed_at.is_null(),
            )
            .order_by(ClaimWindow.as_of)
            .first()
        )
        if window is None:
            raise Invalid(
                f"The programme has no claim window after {after.isoformat()} to forecast to; "
                "add one first.",
                errors=[{"field": "as_of", "message": "no later claim window"}],
            )
        return dict(window)

    async def _routes_at(self, run_id: int) -> dict[int, dict[str, int]]:
        # Each route met with what the claim rules pay for it with no earlier claim (0 for a
        # route paid in another's stead, which is then not payable here either).
        routes: dict[int, dict[str, int]] = defaultdict(dict)
        rows = await VerdictFact.select(
            VerdictFact.family, VerdictFact.name, VerdictFact.amount_pence
        ).where(VerdictFact.run == run_id, VerdictFact.kind == "route")
        for row in rows:
            routes[row["family"]][row["name"]] = row["amount_pence"]
        return routes

    async def forecast(
        self, principal: Principal | None, actor: Actor, code: str, as_of: dt.date | None
    ) -> dict[str, Any]:
        """The families expected to be claimable at the next claim window's date, if their
        evidence stays as it is, with the expected income; and the near misses then.

        A family is "claimable now" when its lines are claimable at `as_of` already, and
        "needs time" when they become so only by the window's date (a sustained period that
        is still running). Lines already claimed are left out, as a claim would leave them.
        """
        # The families a claim would name: a claim's reach, not an administrator's.
        programme = await claims_programme(principal, code, *PROGRAMME_COLUMNS)
        as_of = as_of or today()
        window = await self._next_window(programme["id"], as_of)
        ruleset = self.evaluation.ruleset(programme["ruleset_id"])
        earlier = await live_claimed(programme["id"])
        claimable_now = await self._from_run(programme, as_of, self._routes_at)
        ids = [
            row["id"]
            for row in await Family.select(Family.id)
            .where(Family.programme == programme["id"])
            .order_by(Family.family_ref)
        ]
        expected: list[dict[str, Any]] = []
        income = 0
        near_misses: list[dict[str, Any]] = []
        judged = self.evaluation.judged(
            ids, ruleset, ruleset_config_of(programme["ruleset_config"]), window["as_of"], None
        )
        async for evidence, verdict in judged:
            claimed = earlier.get(evidence.family_id, {})
            lines = ruleset.claimable(verdict, claimed)
            if not lines:
                if (miss := near_miss(verdict, ruleset.failing)) is not None:
                    near_misses.append(miss)
                continue
            met_now = claimable_now.get(evidence.family_id, {})
            now = ruleset.claimable(
                Verdict(
                    ruleset=ruleset.key,
                    family_ref=verdict.family_ref,
                    as_of=as_of,
                    known_at=None,
                    evaluated=True,
                    eligible=True,
                    routes=tuple(
                        RouteResult(route, True, Decimal(met_now[route]) / 100)
                        for route in ruleset.routes
                        if route in met_now
                    ),
                ),
                claimed,
            )
            expected.append(
                {
                    "family_ref": verdict.family_ref,
                    "lines": [
                        {"route": route, "amount_gbp": gbp(amount)} for route, amount in lines
                    ],
                    "amount_gbp": gbp(sum(amount for _, amount in lines)),
                    "why": "claimable now" if set(lines) <= set(now) else "needs time",
                }
            )
            income += sum(amount for _, amount in lines)
        await record(
            actor,
            "programme.forecast",
            "programme",
            code,
            detail={"as_of": as_of.isoformat(), "window": window["id"]},
        )
        return {
            "programme": code,
            "as_of": as_of.isoformat(),
            "window": {
                "id": window["id"],
                "name": window["name"],
                "as_of": window["as_of"].isoformat(),
            },
            "families": expected,
            "expected_families": len(expected),
            "needs_time": sum(1 for family in expected if family["why"] == "needs time"),
            "expected_income_gbp": gbp(income),
            "near_misses": near_misses,
        }

    # The monthly report

    async def monthly(
        self, principal: Principal | None, actor: Actor, code: str, year: int, month: int
    ) -> dict[str, Any]:
        """The month, the financial year to date and the same month a year earlier."""
        programme = await self._programme(principal, code)
        period = Period.month(year, month)
        year_start = dt.date(financial_year_start(period.end), 4, 1)
        to_date = Period(year_start, period.end)
        a_year_earlier = period.year_before()
        sections = {
            "this_month": await self._indicators(programme, period),
            "year_to_date": await self._indicators(programme, to_date),
            "a_year_earlier": await self._indicators(programme, a_year_earlier),
        }
        totals = await self._totals(programme, code, period.end)
        first = months_before(period.start, 11)
        months = [months_after(first, n).strftime("%Y-%m") for n in range(12)]
        started: dict[str, int] = dict.fromkeys(months, 0)
        async with self.engine.transaction() as transaction:
            bulk = Bulk(transaction)
            for day, count in await bulk.rows(
                "SELECT a.started_on, COUNT(*) FROM assessment a JOIN family f"
                " ON f.id = a.family WHERE f.programme = {} AND a.superseded_at IS NULL"
                " AND a.started_on >= {} AND a.started_on <= {} GROUP BY 1",
                programme["id"],
                bulk.day(first),
                bulk.day(period.end),
            ):
                started[str(day)[:7]] += int(count)
            # Contacts by source for each month of the financial year to date.
            ytd_months = [year_start]
            while ytd_months[-1] < period.start:
                ytd_months.append(months_after(ytd_months[-1], 1))
            contacts = await contacts_by_month(bulk, programme["id"], ytd_months)
        trend = [{"month": month, "assessments": count} for month, count in started.items()]
        await record(
            actor,
            "programme.report.monthly",
            "programme",
            code,
            detail={"month": period.start.strftime("%Y-%m")},
        )
        return {
            "programme": code,
            "month": period.start.strftime("%Y-%m"),
            **sections,
            "totals": totals,
            "assessments_by_month": trend,
            "contacts_by_month": contacts,
        }
