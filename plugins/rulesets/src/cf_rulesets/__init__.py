"""The built-in rule sets of connecting_families, shipped as ordinary plugins."""
