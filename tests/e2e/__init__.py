"""Browser tests. A package, so that the package-scoped browser closes (and
Playwright's event loop goes) when these tests are done, before the rest of
the suite runs."""
