"""The reference for plugin authors (`plugins/REFERENCE.md`), generated from the code.

The hooks from their specs, every value a plugin reads or builds from its attrs fields and
its docstring's ``Attributes:`` section, the built-in rule sets and criteria from their
registrations. Run ``python -m connecting_families.hooks.reference plugins/REFERENCE.md``
after changing any of them; `tests/test_plugin_reference.py` fails while the file is out of
date, and when a field has no description.
"""

from __future__ import annotations

import inspect
import json
import re
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import attrs

from connecting_families.domain import claims, evidence, rules, verdict
from connecting_families.domain.calendar import months_before
from connecting_families.domain.measures import Measure
from connecting_families.hooks import hookspecs
from connecting_families.hooks.describe import describe_criterion, describe_ruleset, first_line
from connecting_families.hooks.host import PluginHost

# The values, in the order an author meets them: what a rule set reads, what it returns,
# what it registers.
EVIDENCE: tuple[type, ...] = (
    evidence.FamilyEvidence,
    evidence.Member,
    evidence.Attendance,
    evidence.Exclusion,
    evidence.Offence,
    evidence.AntisocialBehaviour,
    evidence.BenefitSpell,
    evidence.EmploymentSpell,
    evidence.WorkProgrammeStart,
    evidence.Need,
    evidence.Observation,
)
RESULTS: tuple[type, ...] = (
    verdict.Verdict,
    verdict.CriterionResult,
    verdict.RouteResult,
    verdict.Window,
)
REGISTERED: tuple[type, ...] = (
    rules.RuleSet,
    rules.Criterion,
    Measure,
    rules.RuleContext,
    claims.ClaimLineCheck,
)
# The plugins whose rule sets and criteria are the built-in ones: the reference is the same
# whatever else is installed where it is generated.
BUILT_IN = {
    "tf2012": "cf_rulesets.tf2012",
    "tf2015": "cf_rulesets.tf2015",
    "sf2022": "cf_rulesets.sf2022",
}
SECTION = re.compile(r"^(Attributes|Args|Returns):\s*$", re.M)


class Undocumented(ValueError):
    """A field, hook or value has no description: the reference would have a hole."""


def markdown(text: str) -> str:
    """reStructuredText's few marks in docstrings as Markdown's."""
    text = re.sub(r":class:`~?(?:[\w.]+\.)?(\w+)`", r"`\1`", text)
    text = re.sub(r"``(.+?)``", r"`\1`", text)
    text = re.sub(r"^:param (\w+):", r"- `\1`:", text, flags=re.M)
    text = re.sub(r"^\.\. versionadded:: (.+)$", r"*Added in \1.*", text, flags=re.M)
    return re.sub(r"^\.\. versionchanged:: (.+)$", r"*Changed in \1:*", text, flags=re.M)


def docstring(value: Any) -> str:
    """The docstring before its ``Attributes:`` section, each paragraph on one line."""
    text = SECTION.split(inspect.getdoc(value) or "")[0].strip()
    if not text:
        raise Undocumented(f"{getattr(value, '__qualname__', value)!s} has no docstring")
    return markdown("\n\n".join(" ".join(p.split()) for p in text.split("\n\n")))


def item(text: str) -> str:
    """A docstring as a list item's text: later paragraphs indented under it."""
    return text.replace("\n\n", "\n\n  ")


def field_docs(cls: type) -> dict[str, str]:
    """Each field's description from the class docstring's ``Attributes:`` section."""
    text = inspect.getdoc(cls) or ""
    if "Attributes:" not in text:
        return {}
    section = text.split("Attributes:", 1)[1]
    found: dict[str, str] = {}
    name = None
    for line in section.splitlines():
        if match := re.match(r"^    (\w+): (.*)$", line):
            name = match[1]
            found[name] = match[2]
        elif line.startswith("        ") and name:
            found[name] += " " + line.strip()
        elif line.strip():
            break
    return found


def _default(field: attrs.Attribute[Any]) -> str:
    default: Any = field.default
    if default is attrs.NOTHING:
        return "required"
    if isinstance(default, attrs.Factory):  # type: ignore[arg-type]
        made = default.factory()
        return f"`{made!r}`" if made in ({}, (), []) else f"`{default.factory.__name__}()`"
    if callable(default):
        return f"`{default.__name__}`"
    return f"`{default!r}`"


def value_section(cls: type) -> list[str]:
    """A value's heading, description, fields table and methods."""
    docs = field_docs(cls)
    lines = [f"### `{cls.__name__}`", "", docstring(cls), ""]
    lines += ["| field | type | default | meaning |", "|---|---|---|---|"]
    for field in attrs.fields(cls):
        if field.name not in docs:
            raise Undocumented(f"{cls.__name__}.{field.name} has no line in Attributes:")
        kind = str(field.type).replace("|", "\\|")
        meaning = markdown(docs[field.name])
        lines.append(f"| `{field.name}` | `{kind}` | {_default(field)} | {meaning} |")
    methods = [
        (name, member)
        for name, member in vars(cls).items()
        if not name.startswith("_")
        and name not in {f.name for f in attrs.fields(cls)}
        and (callable(member) or isinstance(member, property | classmethod))
    ]
    if methods:
        lines.append("")
    for name, member in methods:
        function: Any = member.fget if isinstance(member, property) else member
        if isinstance(member, classmethod):
            function = member.__func__
        if isinstance(member, property):
            call = f"`.{name}`"
        else:
            parameters = list(inspect.signature(function).parameters)[1:]
            call = f"`.{name}({', '.join(parameters)})`"
        lines.append(f"- {call}: {item(docstring(function))}")
    return [*lines, ""]


def hooks_section() -> list[str]:
    first_results = [name for name in _hook_names() if _first_result(name)]
    lines = [
        "## Hooks",
        "",
        "Implement them by name in the module your entry point names, each marked with "
        "`@hookimpl`; take only the arguments you need. A first-result hook stops at the "
        "first plugin that answers other than None; every other hook calls every plugin, "
        "and the host decides what each answer does. First-result hooks: "
        + (", ".join(f"`{n}`" for n in first_results) or "none")
        + ".",
        "",
        "| hook | first result? | for |",
        "|---|---|---|",
    ]
    for name in _hook_names():
        hook = getattr(hookspecs, name)
        first = "yes: stops at the first non-None result" if _first_result(name) else "no"
        lines.append(f"| `{name}` | {first} | {markdown(first_line(hook))} |")
    lines.append("")
    for name in _hook_names():
        hook = getattr(hookspecs, name)
        signature = str(inspect.signature(hook)).replace("'", "")
        lines += [f"### `{name}{signature}`", "", markdown(inspect.getdoc(hook) or ""), ""]
    return lines


def _hook_names() -> list[str]:
    return sorted(name for name in vars(hookspecs) if name.startswith("cf_"))


def _first_result(name: str) -> bool:
    options = getattr(getattr(hookspecs, name), f"{hookspecs.PROJECT}_spec", {})
    return bool(options.get("firstresult"))


def _functions(*functions: Callable[..., Any]) -> list[str]:
    return [f"- `{f.__name__}`: {item(docstring(f))}" for f in functions]


def claims_section(host: PluginHost) -> list[str]:
    lines = [
        "## What `claimable` returns",
        "",
        docstring(claims),
        "",
        "`Claimable = Callable[[Verdict, Earlier], NewLines]`: `Earlier` maps each route "
        "already in a live line of the family to its pence; `NewLines` is a list of "
        "`(route, pence)`. The claim holds a line for each with pence above 0, then "
        "`cf_check_claim_line` may hold any back.",
        "",
        *_functions(claims.payable, claims.once_per_route, claims.one_claim_per_family),
        "",
        "The built-in rule sets:",
        "",
    ]
    for ruleset in _rulesets(host):
        claimable = ruleset.claimable
        lines.append(f"- `{ruleset.key}`: `{claimable.__name__}`: {item(docstring(claimable))}")
    return [*lines, ""]


def configuration_section(host: PluginHost) -> list[str]:
    lines = [
        "## How configuration is merged",
        "",
        "A programme stores only its overrides; the rule set judges with "
        "`RuleSet.configuration(overrides)`, its `configure(defaults, overrides)`.",
        "",
        f"- `RuleSet.configuration`: {docstring(rules.RuleSet.configuration)}",
        f"- `RuleSet.config_problems`: {docstring(rules.RuleSet.config_problems)}",
        f"- `each_setting_replaced` (the default `configure`): "
        f"{docstring(rules.each_setting_replaced)}",
        "",
        "The built-in rule sets:",
        "",
    ]
    for ruleset in _rulesets(host):
        configure = ruleset.configure
        lines.append(f"- `{ruleset.key}`: `{configure.__name__}`: {item(docstring(configure))}")
    return [*lines, ""]


def _rulesets(host: PluginHost) -> list[rules.RuleSet]:
    return sorted(host.rulesets().values(), key=lambda r: (r.id, r.version))


def _compact(value: Any) -> str:
    if isinstance(value, dict | list):
        return "a mapping: `connecting-families plugins show` prints it whole"
    return f"`{json.dumps(value)}`"


def rulesets_section(host: PluginHost) -> list[str]:
    lines = ["## The built-in rule sets", ""]
    for ruleset in _rulesets(host):
        shown = describe_ruleset(ruleset)
        lines += [
            f"### `{ruleset.key}`: {ruleset.name}",
            "",
            f"Headlines: {', '.join(f'`{h}`' for h in ruleset.headlines)}.",
            "",
            "| route | name | rests on |",
            "|---|---|---|",
            *(
                f"| `{r['route']}` | {r['name']} | {', '.join(f'`{c}`' for c in r['criteria'])} |"
                for r in shown["routes"]
            ),
            "",
            "| setting | label | default |",
            "|---|---|---|",
            *(
                f"| `{s['setting']}` | {s['label']} | {_compact(s['default'])} |"
                for s in shown["settings"]
            ),
            "",
        ]
    return lines


def criteria_section(host: PluginHost) -> list[str]:
    lines = [
        "## The built-in criteria",
        "",
        "A tf2015 outcome plan names them with their parameters "
        '(`{"criterion": "offending_reduced", "percent": 33, "months": 6}`); '
        "windows of `months` are `[X - months, X)`.",
        "",
        "| criterion | result | parameters |",
        "|---|---|---|",
    ]
    for name, criterion in sorted(host.criteria().items()):
        shown = describe_criterion(criterion)
        parameters = "; ".join(f"`{p}`: {d}" for p, d in shown["parameters"].items())
        lines.append(f"| `{name}` | {shown['description']} | {parameters or 'none'} |")
    return [*lines, ""]


def dates_section() -> list[str]:
    """Windows are half-open; a member's `left_on` is out; spells and periods include both
    of their days: each from the code that says so."""
    return [
        "## Dates and windows",
        "",
        f"- `Window`: {item(docstring(verdict.Window))}",
        f"- `Member`: {docstring(evidence.Member)}",
        "- Spells (`BenefitSpell`, `EmploymentSpell`) and attendance periods include both of "
        f"their days: `BenefitSpell.covers(on)`: {docstring(evidence.BenefitSpell.covers)}",
        f"- `months_before(day, n)`: {docstring(months_before)}",
        "",
    ]


def built_in_host() -> PluginHost:
    """A host with only the built-in rule sets' plugins, whatever else is installed."""
    import importlib

    host = PluginHost(load_installed=False)
    for name, module in BUILT_IN.items():
        host.register(importlib.import_module(module), name)
    return host


def reference_markdown(host: PluginHost | None = None) -> str:
    host = host or built_in_host()
    lines = [
        "# Reference for plugin authors",
        "",
        "<!-- Generated by `python -m connecting_families.hooks.reference plugins/REFERENCE.md`"
        " from the code: edit the docstrings, not this file. -->",
        "",
        "Import everything from `connecting_families.plugin`: "
        + ", ".join(f"`{n}`" for n in _plugin_names())
        + ".",
        "",
        "Hooks are synchronous and pure: the host loads the data, plugins judge it.",
        "",
        *hooks_section(),
        *dates_section(),
        "## What a rule set reads: `FamilyEvidence` and its records",
        "",
        docstring(evidence),
        "",
    ]
    for cls in EVIDENCE:
        lines += value_section(cls)
    lines += ["## What a rule set returns: `Verdict`, its results, `Window`", ""]
    for cls in RESULTS:
        lines += value_section(cls)
    lines += ["## What a plugin registers, and the claim line it checks", ""]
    for cls in REGISTERED:
        lines += value_section(cls)
    lines += claims_section(host)
    lines += configuration_section(host)
    lines += rulesets_section(host)
    lines += criteria_section(host)
    return "\n".join(lines).rstrip() + "\n"


def _plugin_names() -> list[str]:
    from connecting_families import plugin

    return list(plugin.__all__)


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    text = reference_markdown()
    if not args:
        sys.stdout.write(text)
    else:
        Path(args[0]).write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
