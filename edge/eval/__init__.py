"""Measuring the appliance: detection, verification, speed (``edge eval``, ``edge bench``)."""
