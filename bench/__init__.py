"""Benchmarks: each compares an operation with a baseline measured in the same run and
prints the ratio. Run them all with `make bench`, or one with `python -m bench.<name>`."""
