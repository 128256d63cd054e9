"""The youtu identification backend."""
