"""Rule set `sf2022`: Supporting Families 2022-25 national outcomes framework.

The rules are in `shared/domain/programme-rules.md`; the hook implementations arrive with the
plugin hookspecs.
"""
