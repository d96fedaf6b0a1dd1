"""Programmes: a council's run of a whole-family programme under one rule set."""
