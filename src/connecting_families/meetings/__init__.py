"""Family meetings: family group decision-making and family network meetings, as events."""
