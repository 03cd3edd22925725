"""Raqib's benchmarks: `python -m benchmarks` (or `make bench`). Figures go to BENCHMARKS.md."""
