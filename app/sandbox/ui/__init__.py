"""The dashboard page and the hosted checkout template: static files, no build step."""
