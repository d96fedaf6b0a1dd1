"""The database: engines for SQLite and PostgreSQL, transactions and migrations."""
