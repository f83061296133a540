"""Benchmarks: `python -m bench.<name> --help`."""
