"""The iai identification backend."""
