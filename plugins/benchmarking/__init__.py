"""The benchmarking plugin: field visits to a host organisation and the practices found there."""
