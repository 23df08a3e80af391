"""Levels, courses, venues, trainers and training sessions (course occasions)."""
