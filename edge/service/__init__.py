"""Service: the loop that wires the stages, health, metrics, doctor, records."""
