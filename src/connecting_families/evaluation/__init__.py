"""Evaluation: families' evidence loaded set-based, judged by their programme's rule set."""
