"""The rule sets a programme can name, and the headlines its needs are recorded against.

The built-in rule sets' headlines come from `shared/domain/programme-rules.md`. When rule sets
become plugins (the hookspecs), this table is what their registration will provide.
"""

HEADLINES: dict[str, tuple[str, ...]] = {
    "tf2012": ("crime_asb", "education", "worklessness"),
    "tf2015": (
        "crime_asb",
        "education",
        "children_need_help",
        "worklessness",
        "domestic_abuse",
        "health",
    ),
    "sf2022": (
        "education",
        "early_years",
        "health",
        "substance_use",
        "family_relationships",
        "children_safe",
        "crime",
        "domestic_abuse",
        "housing",
        "financial_stability",
    ),
}

RULESET_IDS = tuple(HEADLINES)


def headlines_for(ruleset_id: str) -> tuple[str, ...]:
    return HEADLINES.get(ruleset_id, ())
