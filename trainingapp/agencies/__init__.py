"""Sectors, partner agencies and their staff (people)."""
