"""The tools of the people who run the IVR, over HTTP: health, metrics, logs for machines, the supervisor page."""
