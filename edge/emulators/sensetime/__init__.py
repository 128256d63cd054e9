"""A local server of the SenseTime face API v1 (seed 004): ``edge emulate sensetime``."""
