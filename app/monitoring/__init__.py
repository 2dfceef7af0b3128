"""Process metrics beyond the API's: the worker's ``/metrics`` and what jobs observe."""
