"""The bulk CSV import of contract section 4 (CLI now, web upload later)."""
