"""Payment-by-results claims: windows, claims and their lines."""
