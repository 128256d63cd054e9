"""The web console: live view, people, events, status, settings and a door test, behind a login."""
