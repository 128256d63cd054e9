"""A local server of the legacy YouTu face API: `edge emulate youtu`."""
