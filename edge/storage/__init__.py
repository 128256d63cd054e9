"""Local state on disk: the SQLite helper every store of the appliance uses."""
