"""Events: access events and door commands to sinks (MQTT, JSON lines)."""
