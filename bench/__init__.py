"""Benchmarks for signon: run them with `python -m bench.run`; figures go in docs/benchmarks.md."""
