"""Tools for testing code that uses remote models (docs/topics/testing.rst)."""
