"""Benchmarks: each measures natmigrate against a baseline in the same run and reports ratios."""
