"""The sensetime identification backend."""
