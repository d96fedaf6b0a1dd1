"""Rule set `tf2012`: Troubled Families 2012-15 financial framework.

The rules are in `shared/domain/programme-rules.md`; the hook implementations arrive with the
plugin hookspecs.
"""
