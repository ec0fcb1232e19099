"""The one upload store: files people upload (roster previews, evidence) under ``UPLOAD_DIR``.

A small interface (:func:`put`, :func:`open`, :func:`path`, :func:`delete`, :func:`purge`) over a
directory, so that a shared mount today and object storage later are one change here. Every file is
written to a temporary name in its final folder and renamed only when complete (:func:`atomic_write`):
a full disk or a crash half-way leaves no partial file under the real name, and nothing else.
"""

from __future__ import annotations

import builtins
import contextlib
import os
import re
import secrets
import time
from collections.abc import Iterable, Iterator
from typing import IO, Any

from flask import current_app

AREAS = {"roster", "benchmarking"}
_NAME = re.compile(r"[A-Za-z0-9_-]{8,64}(?:\.[a-z]{1,8})?")
_PARTIAL = ".part-"


def root() -> str:
    return current_app.config["UPLOAD_DIR"]


def folder(area: str) -> str:
    if area not in AREAS:
        raise ValueError(f"unknown storage area {area!r}")
    path = os.path.join(root(), area)
    os.makedirs(path, exist_ok=True)
    return path


def path(area: str, name: str) -> str:
    """Where a stored file lives; refuses any name that is not one the store hands out."""
    if not _NAME.fullmatch(name):
        raise ValueError("not a stored name")
    return os.path.join(folder(area), name)


def new_name(suffix: str = "") -> str:
    return secrets.token_hex(16) + suffix


@contextlib.contextmanager
def atomic_write(target: str, mode: str = "wb", **kwargs: Any) -> Iterator[IO[Any]]:
    """Open a temporary file beside ``target``; rename it to ``target`` only if the block completes.

    On any error the temporary file is removed and ``target`` is left as it was (absent or old).
    """
    directory, base = os.path.split(os.path.abspath(target))
    tmp = os.path.join(directory, f".{base}{_PARTIAL}{secrets.token_hex(4)}")
    try:
        with builtins.open(tmp, mode.replace("w", "x"), **kwargs) as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.remove(tmp)
        raise


def put(area: str, data: bytes | Iterable[bytes], name: str | None = None) -> str:
    """Store ``data`` (bytes or chunks) atomically; returns its stored name (a new random one by default)."""
    name = name or new_name()
    with atomic_write(path(area, name)) as handle:
        if isinstance(data, bytes | bytearray):
            handle.write(data)
        else:
            for chunk in data:
                handle.write(chunk)
    return name


def open(area: str, name: str) -> IO[bytes]:  # noqa: A001 - the store's verb
    """The stored file for reading; FileNotFoundError when it is gone."""
    return builtins.open(path(area, name), "rb")


def read(area: str, name: str) -> bytes:
    with open(area, name) as handle:
        return handle.read()


def delete(area: str, name: str) -> bool:
    """Remove a stored file; False when it was already gone."""
    try:
        os.remove(path(area, name))
    except FileNotFoundError:
        return False
    return True


def purge(area: str, older_than_seconds: float, now: float | None = None) -> int:
    """Remove the area's files (and leftover partial files) last written before the cut-off."""
    cutoff = (time.time() if now is None else now) - older_than_seconds
    removed = 0
    with os.scandir(folder(area)) as entries:
        for entry in entries:
            if not entry.is_file(follow_symlinks=False):
                continue
            if entry.stat(follow_symlinks=False).st_mtime < cutoff:
                with contextlib.suppress(FileNotFoundError):
                    os.remove(entry.path)
                    removed += 1
    return removed
