"""`python -m connecting_families` is the same as the `connecting-families` command."""

from connecting_families.cli import main

raise SystemExit(main())
