"""Early help assessments (CAF/EHA) and the needs they identify."""
