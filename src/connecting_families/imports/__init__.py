"""Imports of partner data files (the data-exchange CSVs)."""
