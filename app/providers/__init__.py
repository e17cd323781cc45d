"""Provider edges: exact paths, auth and wire formats. Rules live in `app.core`."""
