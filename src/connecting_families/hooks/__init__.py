"""Plugin hooks: the hookspecs and the host that calls the installed plugins."""
