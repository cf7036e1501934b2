"""The tools of the people who run it: health checks, metrics, logs for machines."""
