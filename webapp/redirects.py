"""Where a form may send the browser back to: paths on this site only."""
from __future__ import annotations

from urllib.parse import urlsplit


def same_site_path(target: str | None, default: str) -> str:
    """`target` when it is a path on this site, else `default`. Browsers read a backslash as a slash, so
    `/\\evil.example` would leave the site as surely as `//evil.example`; control characters and schemes too."""
    if not target or not target.startswith("/") or "\\" in target:
        return default
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in target):
        return default
    parts = urlsplit(target)
    if target.startswith("//") or parts.scheme or parts.netloc:
        return default
    return target
