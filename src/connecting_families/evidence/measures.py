"""Observation measures: declared by plugins, so they live in `domain/measures.py`.

Kept here by name for the evidence package's own code and for plugins written before the move.
"""

from __future__ import annotations

from connecting_families.domain.measures import KEY, Measure, MeasureType

__all__ = ["KEY", "Measure", "MeasureType"]
