"""glibc's allocator set for a long-running process with a memory budget.

glibc serves an allocation of at least ``M_MMAP_THRESHOLD`` bytes with its own ``mmap`` and
unmaps it on free; smaller ones come from the heap, which only shrinks from its top. The
threshold is dynamic by default: freeing a large mapped block raises it to that block's size
(up to 32 MB; mallopt(3)). Loading the descriptor frees blocks of tens of MB, so afterwards
every per-frame buffer of onnxruntime and OpenCV (a few MB) came from the heap, and when the
other allocations landed between them, freed buffers could not be reused: ``edge run``'s
peak varies from 239 to 272 MB between runs of the same clip. A fixed 1 MB threshold keeps
it at 235-243 MB (9 runs), but costs about 20% more CPU per frame (the mapped buffers' page
faults on every inference), so it is an option (``service.steady_memory``), not the default
(docs/benchmarks.md, "Memory: what edge run holds").
"""

from __future__ import annotations

import ctypes
import ctypes.util
import logging

log = logging.getLogger(__name__)

M_MMAP_THRESHOLD = -3  # mallopt(3) parameter number, <malloc.h>
MMAP_THRESHOLD_BYTES = 1 << 20


def map_large_blocks(threshold: int = MMAP_THRESHOLD_BYTES) -> bool:
    """Have glibc map (and unmap on free) every allocation of ``threshold`` bytes or more, and
    stop adjusting that threshold. False where the C library is not glibc (nothing changed)."""
    name = ctypes.util.find_library("c")
    try:
        mallopt = ctypes.CDLL(name).mallopt if name else None
    except (OSError, AttributeError):  # musl and others: no mallopt
        mallopt = None
    if mallopt is None or mallopt(M_MMAP_THRESHOLD, threshold) != 1:
        log.debug("mallopt(M_MMAP_THRESHOLD) not available: the allocator keeps its defaults")
        return False
    return True
