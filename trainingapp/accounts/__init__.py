"""Accounts: passwords, roles and (later) login, registration and resets."""
