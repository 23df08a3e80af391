"""Registers, training records and certificates."""
