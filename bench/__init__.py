"""Benchmarks of the sandbox over real HTTP: `python -m bench.run --help`."""
