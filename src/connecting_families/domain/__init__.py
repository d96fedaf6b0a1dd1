"""Pure values and functions: no Litestar, no Piccolo, no I/O."""
