"""A run's resident memory is what it holds, not what it once held.

Each rule builds its own large intermediate frames (joins of payments and withdrawals, chains of kinship) and
drops them when it is done. Arrow's default allocator (mimalloc) and the C library's both keep freed pages for
reuse, so without help the process's resident size ratchets up rule after rule and the run's peak becomes the
sum of the rules' leftovers. Arrow buffers are therefore taken from the C library's allocator, and after each
rule its freed pages are handed back (glibc's ``malloc_trim``). This is done for the rules only: the import's
few large buffers are faster and smaller with Arrow's own allocator (measured on the 1M county).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
from contextlib import contextmanager
from functools import cache
from typing import Iterator

import pyarrow as pa

__all__ = ["system_allocator", "release_freed_memory"]


@contextmanager
def system_allocator() -> Iterator[None]:
    """Arrow buffers from the C library's allocator within the block (unless ARROW_DEFAULT_MEMORY_POOL names
    one explicitly); the previous pool is restored after it."""
    if os.environ.get("ARROW_DEFAULT_MEMORY_POOL"):
        yield
        return
    before = pa.default_memory_pool()
    pa.set_memory_pool(pa.system_memory_pool())
    try:
        yield
    finally:
        pa.set_memory_pool(before)


@cache
def _malloc_trim():
    """glibc's malloc_trim, or None where the C library has none (macOS, Windows, musl)."""
    name = ctypes.util.find_library("c")
    try:
        trim = ctypes.CDLL(name).malloc_trim if name else None
    except (OSError, AttributeError):
        return None
    if trim is not None:
        trim.argtypes, trim.restype = [ctypes.c_size_t], ctypes.c_int
    return trim


def release_freed_memory() -> None:
    """Hand the heap's free pages back to the system (a no-op where the C library cannot)."""
    trim = _malloc_trim()
    if trim is not None:
        trim(0)
