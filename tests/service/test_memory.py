"""With the default dynamic threshold, one large freed block is enough to keep freed multi-MB
buffers resident when small objects sit between them (what start-up leaves behind); they leave
the process with glibc's threshold fixed, or when the freed pages are handed back."""

from __future__ import annotations

import subprocess
import sys

import pytest

# after a 20 MB block is freed (the dynamic threshold rises to it), 50 buffers of 2 MB
# interleaved with small live objects are allocated and freed: how many MB stay resident?
_CHILD = """
import re, sys
from pathlib import Path
from edge.service.memory import map_large_blocks, return_freed_pages
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
if sys.argv[1] == "returned":
    assert return_freed_pages()
print(rss() - before)
"""


def resident_after_free(mode: str) -> int:
    done = subprocess.run([sys.executable, "-c", _CHILD, mode], capture_output=True, text=True, check=True)
    return int(done.stdout)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's mallopt")
def test_freed_buffers_leave_the_process_with_the_fixed_threshold() -> None:
    assert resident_after_free("default") >= 50  # the 100 MB freed stay resident
    assert resident_after_free("fixed") <= 5



@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's malloc_trim")
def test_freed_pages_leave_the_process_when_handed_back() -> None:
    assert resident_after_free("returned") <= 5
