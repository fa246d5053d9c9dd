"""Province-scale benchmark: a data generator and `python -m bench` (CONTRACT.md: Benchmarks)."""
