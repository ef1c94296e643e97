"""Benchmarks: each script writes JSON to bench/results/ and is summarised in bench/README.md."""
