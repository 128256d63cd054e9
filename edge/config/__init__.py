"""Settings: one typed model for the whole appliance (see :mod:`edge.config.settings`)."""
