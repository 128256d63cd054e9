"""Identify: one module per backend (local, youtu, sensetime, iai) behind one interface."""
