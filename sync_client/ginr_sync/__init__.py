"""Reference client for TSPs of the GINR M2M API."""
