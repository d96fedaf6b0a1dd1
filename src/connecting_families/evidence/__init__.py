"""Evidence: partners' and key workers' records of what happened, append-and-supersede."""
