"""Rendered documents kept in memory, so a dossier is laid out once per version of what it says.

The key of a PDF is the SHA-256 of the HTML it is rendered from (and of the stylesheet): the HTML is built from
everything a document shows — the case's data at its version, the template set, the campaign, the unit tree, the
earlier awards — so any change to any of them gives another key, and nothing has to be invalidated by hand. Building
the HTML takes milliseconds; laying it out takes WeasyPrint seconds. A whole dossier (ZIP, merged PDF) is kept under
the digest of its parts in the same way.

Per process, bounded by bytes (least recently used out first). Each web worker warms its own; a document is at most
rendered once per worker and version. (A table shared by the workers would save the first render on the other
workers at the price of a write in a GET — not worth it at this size.)
"""
from __future__ import annotations

import hashlib
import os
import threading
from collections import OrderedDict

DEFAULT_BYTES = 256 * 1024 * 1024


class ByteLRU:
    """A thread-safe mapping key → bytes that drops the least recently used entries past `capacity` bytes."""

    def __init__(self, capacity: int):
        self.capacity = capacity
        self._items: OrderedDict[str, bytes] = OrderedDict()
        self._size = 0
        self._lock = threading.Lock()
        self.hits = self.misses = 0

    def get(self, key: str) -> bytes | None:
        with self._lock:
            value = self._items.get(key)
            if value is None:
                self.misses += 1
                return None
            self._items.move_to_end(key)
            self.hits += 1
            return value

    def put(self, key: str, value: bytes) -> None:
        if len(value) > self.capacity:
            return
        with self._lock:
            old = self._items.pop(key, None)
            if old is not None:
                self._size -= len(old)
            self._items[key] = value
            self._size += len(value)
            while self._size > self.capacity:
                _, dropped = self._items.popitem(last=False)
                self._size -= len(dropped)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
            self._size = 0
            self.hits = self.misses = 0


CACHE = ByteLRU(int(os.environ.get("TDKT_RENDER_CACHE_BYTES", DEFAULT_BYTES)))


def digest(*parts: str | bytes) -> str:
    h = hashlib.sha256()
    for part in parts:
        h.update(part.encode("utf-8") if isinstance(part, str) else part)
        h.update(b"\x00")
    return h.hexdigest()
