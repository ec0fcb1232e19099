"""Give memory back to the operating system after a large piece of work (a PDF export).

CPython frees objects into its own arenas and glibc's heap, which keep the pages: a worker that
rendered a large PDF would hold that memory until it exits. ``malloc_trim(0)`` asks glibc to return
its free pages; elsewhere (musl, macOS) this only collects garbage.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import gc


def give_back() -> None:
    gc.collect()
    name = ctypes.util.find_library("c")
    try:
        libc = ctypes.CDLL(name) if name else None
        trim = getattr(libc, "malloc_trim", None)
        if trim is not None:
            trim(0)
    except OSError:
        pass
