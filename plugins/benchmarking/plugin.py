"""Hook implementations of the benchmarking plugin."""
