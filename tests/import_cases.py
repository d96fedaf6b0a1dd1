"""Import files for the tests: a small household, and per kind a clean file, a correction and
bad rows with the problem each must be reported as.

The household (programme P1, family FAM-1): children C1 (UPN A123456789012) and C2, adult A1
(NI AB123456C). Line numbers in the expected problems count the header as line 1; bad rows are
appended after the clean rows, so the first bad row is on line `len(rows) + 2`.
"""

from __future__ import annotations

import attrs

from connecting_families.domain.measures import Measure
from connecting_families.hooks.hookspecs import hookimpl

FAMILIES = (
    (
        "family_ref,programme,postcode,ward,key_worker,identified_on,attached_on,closed_on,"
        "closure_reason,local_filter,expectant_parent\n"
    )
    + """FAM-1,P1,pe1 1aa,Central,kw_own,2013-01-10,2013-02-01,,,yes,no
FAM-2,P1,PE2 2BB,North,,2013-03-01,,,,,
"""
)

PEOPLE = (
    (
        "person_ref,family_ref,given_name,family_name,date_of_birth,sex,role,upn,ni_number,"
        "joined_on,left_on\n"
    )
    + """C1,FAM-1,Amy,Smith,2005-04-01,female,child,A123456789012,,,
C2,FAM-1,Ben,Smith,2007-06-01,male,child,,,,
A1,FAM-1,Cara,Smith,1980-02-02,female,adult,,AB123456C,,
D1,FAM-2,Dan,Jones,1975-05-05,male,adult,,,,
"""
)


@attrs.frozen
class Case:
    header: str
    rows: tuple[str, ...]
    # (index of the row it replaces, the corrected row)
    correction: tuple[int, str]
    # (row, the problem it must be reported as, without "line N, ")
    bad: tuple[tuple[str, str], ...]
    table: str

    def text(self, rows: tuple[str, ...] | None = None) -> str:
        return "\n".join((self.header, *(self.rows if rows is None else rows))) + "\n"

    def corrected(self) -> str:
        index, row = self.correction
        rows = list(self.rows)
        rows[index] = row
        return self.text(tuple(rows))


CASES = {
    "attendance": Case(
        header="person_ref,upn,period_start,period_end,possible_sessions,"
        "authorised_absence_sessions,unauthorised_absence_sessions,school_urn",
        rows=(
            "C1,,2013-09-02,2013-12-20,140,4,10,100001",
            ",A123456789012,2014-01-06,2014-03-28,110,2,30,100001",
            "C2,,2013-09-02,2013-12-20,140,0,0,100002",
        ),
        correction=(2, "C2,,2013-09-02,2013-12-20,140,0,12,100002"),
        bad=(
            ("NOBODY,,2013-09-02,2013-12-20,140,4,10,", "column person_ref: matches no person"),
            (",B999999999999,2013-09-02,2013-12-20,140,4,10,", "column upn: matches no person"),
            ("C1,,2013-09-02,2013-08-20,140,4,10,", "column period_end: is before period_start"),
            ("C1,,2013-13-02,2013-12-20,140,4,10,", "column period_start: is not a real date"),
            ("C1,,02/09/2013,2013-12-20,140,4,10,", "column period_start: is not a date written"),
            ("C1,,2013-09-02,2013-12-21,-1,4,10,", "column possible_sessions: is not a whole"),
            ("C1,,2013-09-02,2013-12-22,10,4,10,", "add up to more than possible_sessions"),
            ("C1,,2013-09-02,2013-12-23,,4,10,", "column possible_sessions: is required"),
            (",,2013-09-02,2013-12-24,140,4,10,", "column person_ref: is required"),
            ("C1,,2013-09-02,2013-12-20,140,4,10,", "repeats line 2"),
        ),
        table="attendance",
    ),
    "exclusions": Case(
        header="person_ref,upn,exclusion_ref,start_date,kind,sessions",
        rows=("C1,,EX-1,2013-10-01,fixed,4", ",A123456789012,EX-2,2013-11-01,Permanent,"),
        correction=(0, "C1,,EX-1,2013-10-01,fixed,6"),
        bad=(
            ("C1,,EX-3,2013-10-01,expelled,", "column kind: is 'expelled', not one of fixed"),
            ("C1,,EX-4,2099-10-01,fixed,", "column start_date: is in the future"),
            ("C1,, EX-5,2013-10-01,fixed,", "column exclusion_ref: has a leading or trailing"),
            ("C1,,EX-1,2013-10-02,fixed,", "repeats line 2"),
        ),
        table="exclusion",
    ),
    "offences": Case(
        header="person_ref,offence_ref,offence_date,outcome_date,category",
        rows=("C1,OF-1,2012-06-01,2012-08-01,theft", "A1,OF-2,2012-07-01,,violence"),
        correction=(1, "A1,OF-2,2012-07-01,2012-09-09,violence"),
        bad=(
            ("C1,OF-3,2012-06-01,2012-05-01,", "column outcome_date: is before offence_date"),
            ("C1,,2012-06-01,,", "column offence_ref: is required"),
            ("C1," + "R" * 65 + ",2012-06-01,,", "column offence_ref: is longer than 64"),
        ),
        table="offence",
    ),
    "asb": Case(
        header="person_ref,family_ref,asb_ref,incident_date,kind",
        rows=("C1,,ASB-1,2012-11-01,incident", ",FAM-1,ASB-2,2012-12-01,intervention"),
        correction=(0, "C2,,ASB-1,2012-11-01,incident"),
        bad=(
            ("C1,FAM-1,ASB-3,2012-11-01,incident", "column family_ref: give either a person"),
            (",,ASB-4,2012-11-01,incident", "column person_ref: is required"),
            (",FAM-404,ASB-5,2012-11-01,incident", "column family_ref: matches no family"),
        ),
        table="antisocial_behaviour",
    ),
    "benefits": Case(
        header="person_ref,ni_number,benefit,start_date,end_date",
        rows=("A1,,JSA,2012-01-01,", ",ab 12 34 56 c,ESA,2011-01-01,2011-12-31"),
        correction=(0, "A1,,JSA,2012-01-01,2013-06-30"),
        bad=(
            ("A1,,DLA,2012-01-01,", "column benefit: is 'DLA', not one of JSA"),
            (",QQ123456C,JSA,2012-01-01,", "column ni_number: is not a National Insurance"),
            ("A1,,JSA,2012-01-01,2011-01-01", "column end_date: is before start_date"),
            ("C1,AB123456C,JSA,2012-02-01,", "column ni_number: names a different person"),
        ),
        table="benefit_spell",
    ),
    "employment": Case(
        header="person_ref,ni_number,start_date,end_date,hours_per_week",
        rows=("A1,,2013-07-01,,37.5", ",AB123456C,2010-01-01,2010-06-30,16"),
        correction=(0, "A1,,2013-07-01,2014-01-31,37.5"),
        bad=(
            ("A1,,2013-08-01,,200", "column hours_per_week: is not a number of hours"),
            ("A1,,2013-09-01,,lots", "column hours_per_week: is not a number"),
        ),
        table="employment_spell",
    ),
    "work_programme": Case(
        header="person_ref,ni_number,provision,start_date",
        rows=("A1,,work_programme,2013-05-01", ",AB123456C,esf,2013-09-01"),
        correction=(1, ",AB123456C,ESF,2013-09-01"),
        bad=(
            ("A1,,apprenticeship,2013-05-01", "column provision: is 'apprenticeship', not one"),
            ("D9,,esf,2013-05-01", "column person_ref: matches no person"),
        ),
        table="work_programme_start",
    ),
    "assessments": Case(
        header="assessment_ref,family_ref,subject_person_ref,started_on,completed_on,"
        "lead_professional,agency",
        rows=(
            "EHA-1,FAM-1,C1,2013-02-01,2013-03-01,J Bloggs,school",
            "EHA-2,FAM-2,,2013-03-05,,,",
        ),
        correction=(1, "EHA-2,FAM-2,,2013-03-05,2013-04-20,,health visitor"),
        bad=(
            (
                "EHA-3,FAM-1,C1,2013-02-01,2013-01-01,,",
                "column completed_on: is before started_on",
            ),
            ("EHA-4,FAM-9,,2013-02-01,,,", "column family_ref: matches no family"),
            ("EHA-5,FAM-1,Z9,2013-02-01,,,", "column subject_person_ref: matches no person"),
        ),
        table="assessment",
    ),
    "needs": Case(
        header="need_ref,family_ref,person_ref,headline,identified_on,evidence,outcome,outcome_on",
        rows=(
            "N-1,FAM-1,C1,education,2013-02-01,Poor attendance,,",
            "N-2,FAM-1,,worklessness,2013-02-01,,achieved,2014-01-01",
        ),
        correction=(0, "N-1,FAM-1,C1,education,2013-02-01,Poor attendance,achieved,2014-02-01"),
        bad=(
            ("N-3,FAM-1,,housing,2013-02-01,,,", "column headline: is not a headline"),
            ("N-4,FAM-1,,education,2013-02-01,,,2014-01-01", "column outcome_on: is given but"),
            ("N-5,FAM-1,,education,2013-02-01,,done,", "column outcome: is 'done', not one of"),
        ),
        table="need",
    ),
    "observations": Case(
        header="person_ref,family_ref,measure,observed_on,period_start,period_end,value,"
        "observation_ref",
        rows=(
            "C1,,wellbeing_score,2013-03-01,,,6,OB-1",
            ",FAM-1,rent_arrears,,2013-01-01,2013-03-31,yes,",
            "A1,,housing_status,2013-04-01,,,secure,",
        ),
        correction=(0, "C1,,wellbeing_score,2013-03-01,,,7.5,OB-1"),
        bad=(
            ("C1,,shoe_size,2013-03-01,,,9,", "column measure: is not a measure declared"),
            ("C1,,wellbeing_score,2013-03-01,,,11,", "column value: is above 10"),
            ("C1,,wellbeing_score,2013-03-01,,,high,", "column value: is not a number"),
            ("C1,,rent_arrears,2013-03-01,,,maybe,", "column value: is not one of true/false"),
            ("C1,,housing_status,2013-03-01,,,castle,", "column value: is not a code of measure"),
            ("C1,,wellbeing_score,,,,5,", "column observed_on: is required, or period_start"),
            ("C1,,wellbeing_score,2013-03-01,2013-01-01,2013-02-01,5,", "not both"),
        ),
        table="observation",
    ),
}


class CouncilMeasures:
    """A plugin, as a council would write one, declaring the measures the tests observe."""

    @hookimpl
    def cf_register_measures(self, register: object) -> None:
        assert callable(register)
        register(
            Measure(
                key="wellbeing_score", type="number", description="0-10", minimum=0, maximum=10
            )
        )
        register(Measure(key="rent_arrears", type="boolean", description="in arrears"))
        register(
            Measure(
                key="housing_status",
                type="code",
                description="tenure",
                codes=("secure", "temporary", "homeless"),
            )
        )
