"""The JSON API under /api/: what the console and the history offer, for scripts and CI, with personal tokens."""
