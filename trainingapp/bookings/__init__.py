"""Booking places, waiting lists and cancellations."""
