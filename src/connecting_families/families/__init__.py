"""Families: households on the programme, their members, allocation and case notes."""
