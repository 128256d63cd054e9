"""glibc's allocator set for a long-running process with a memory budget.

glibc serves an allocation of at least ``M_MMAP_THRESHOLD`` bytes with its own ``mmap`` and
unmaps it on free; smaller ones come from the heap, which only shrinks from its top. The
threshold is dynamic by default: freeing a large mapped block raises it to that block's size
(up to 32 MB; mallopt(3)), and the heap's top is kept up to twice that. Loading the models frees
blocks of tens of MB, so whatever start-up freed below other live blocks stays resident.

- :func:`return_freed_pages`, called once when ``edge run`` has started (models loaded, demo
  gallery enrolled), hands those pages back: 3-10 MB of the peak, for one call.
- :func:`map_large_blocks` (``service.steady_memory``) fixes the threshold at 1 MB, so every
  buffer of 1 MB or more is mapped and returned when freed. It costs CPU on every frame (the
  mapped buffers' page faults), and since onnxruntime's activations stay in one arena
  (:mod:`edge.vision.models`) the per-frame buffers it was for no longer reach glibc.

Figures: docs/benchmarks.md, "Memory: what edge run holds".
"""

from __future__ import annotations

import ctypes
import ctypes.util
import logging
from collections.abc import Callable

log = logging.getLogger(__name__)

M_MMAP_THRESHOLD = -3  # mallopt(3) parameter number, <malloc.h>
MMAP_THRESHOLD_BYTES = 1 << 20


def _glibc(function: str) -> Callable[..., int] | None:
    """``function`` of glibc's allocator; None where the C library is another (musl: neither)."""
    name = ctypes.util.find_library("c")
    try:
        return getattr(ctypes.CDLL(name), function) if name else None
    except (OSError, AttributeError):
        return None


def map_large_blocks(threshold: int = MMAP_THRESHOLD_BYTES) -> bool:
    """Have glibc map (and unmap on free) every allocation of ``threshold`` bytes or more, and
    stop adjusting that threshold. False where the C library is not glibc (nothing changed)."""
    mallopt = _glibc("mallopt")
    if mallopt is None or mallopt(M_MMAP_THRESHOLD, threshold) != 1:
        log.debug("mallopt(M_MMAP_THRESHOLD) not available: the allocator keeps its defaults")
        return False
    return True


def return_freed_pages() -> bool:
    """Give the kernel back the whole pages of every free block in glibc's heaps (``malloc_trim(0)``:
    not only the heap's top, which is all glibc returns by itself). False where not glibc."""
    malloc_trim = _glibc("malloc_trim")
    if malloc_trim is None:
        return False
    malloc_trim(0)
    return True
