"""Benchmarks for django_api_orm: ``python -m benchmarks`` (``make bench``)."""
