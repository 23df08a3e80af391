"""Benchmarks: a synthetic regional data set (``benchmarks.generate``) and a
runner that times the bulk import and the reports on SQLite and PostgreSQL
(``benchmarks.run``, or ``make bench``). See docs/benchmarks.md."""
