"""With glibc's threshold fixed, freed multi-MB buffers leave the process even when small
objects sit between them; with the default dynamic threshold, one large freed block is enough
to keep them resident (the pattern that made edge run's peak vary between runs)."""

from __future__ import annotations

import subprocess
import sys

import pytest

# after a 20 MB block is freed (the dynamic threshold rises to it), 50 buffers of 2 MB
# interleaved with small live objects are allocated and freed: how many MB stay resident?
_CHILD = """
import re, sys
from pathlib import Path
from edge.service.memory import map_large_blocks
if sys.argv[1] == "fixed":
    assert map_large_blocks()
def rss():
    return int(re.search(r"VmRSS:\\s+(\\d+)", Path("/proc/self/status").read_text()).group(1)) // 1024
large = bytearray(20 << 20)
del large
before = rss()
buffers, pins = [], []
for _ in range(50):
    buffers.append(bytearray(2 << 20))
    pins.append(bytearray(1000))
del buffers
print(rss() - before)
"""


def resident_after_free(mode: str) -> int:
    done = subprocess.run([sys.executable, "-c", _CHILD, mode], capture_output=True, text=True, check=True)
    return int(done.stdout)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's mallopt")
def test_freed_buffers_leave_the_process_with_the_fixed_threshold() -> None:
    assert resident_after_free("default") >= 50  # the 100 MB freed stay resident
    assert resident_after_free("fixed") <= 5

