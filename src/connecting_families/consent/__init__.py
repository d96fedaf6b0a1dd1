"""Consent to share a family's information with other agencies: given, covered, withdrawn."""
