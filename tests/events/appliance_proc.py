"""An appliance process for the crash test: ``python -m tests.events.appliance_proc BEFORE AFTER``.

Settings come from the EDGE_* environment. Commits BEFORE events while not yet connected,
connects, then produces AFTER more, printing each id once ``handle`` returned (committed).
Prints ``drained`` when the outbox is empty, then waits to be killed.
"""

from __future__ import annotations

import sys
import time

from edge.config.settings import load_settings
from edge.events.mqtt import MqttSink
from tests.events.helpers import access_event


def main(before: int, after: int) -> None:
    sink = MqttSink(load_settings(), start=False)

    def produce(count: int) -> None:
        for _ in range(count):
            event = access_event()
            sink.handle(event)
            print(event.id, flush=True)

    produce(before)
    sink.start()
    produce(after)
    while sink.backlog:
        time.sleep(0.01)
    print("drained", flush=True)
    while True:
        time.sleep(1)


if __name__ == "__main__":
    main(int(sys.argv[1]), int(sys.argv[2]))
