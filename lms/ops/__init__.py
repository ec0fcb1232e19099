"""Running Tolok: health and readiness probes, Prometheus metrics, backups, multi-node checks."""
