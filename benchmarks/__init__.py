"""Benchmarks: ``python -m benchmarks.<name>``. Each prints what it measured and the goal."""
