"""The local identification backend."""
