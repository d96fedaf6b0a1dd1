"""Access control: who the caller is, what each route requires, and which families they reach."""
