"""Family plans: goals, actions and reviews agreed with the family."""
