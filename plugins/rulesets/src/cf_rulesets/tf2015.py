"""Rule set `tf2015`: Troubled Families expanded programme 2015-20 (local outcome plans).

The rules are in `shared/domain/programme-rules.md`; the hook implementations arrive with the
plugin hookspecs.
"""
