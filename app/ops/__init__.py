"""The tools of the people who run the IVR, over HTTP: health, metrics, the supervisor page."""
