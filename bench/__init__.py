"""The data generator and the benchmark: `python -m bench --scale N` (see bench/README.md)."""
