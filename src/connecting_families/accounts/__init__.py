"""Accounts: users, teams, roles and programme membership."""
