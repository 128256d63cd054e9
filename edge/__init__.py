"""Edge face-recognition access control appliance."""

__version__ = "0.1.0"
