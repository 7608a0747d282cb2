"""Benchmarks: ``python -m benchmarks.<name>``. Each measures natmigrate against a baseline in the same run and reports ratios."""
