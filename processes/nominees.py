"""Who a nominee is, as a key that stays the same across units, rounds and spellings of whitespace and case.

A person is their name and, when given, their date of birth (two officials may share a name); a collective is its
name. The award history and the duplicate rules of a round both match nominees by this key.
"""
from __future__ import annotations

import re
import unicodedata

_SPACES = re.compile(r"\s+")


def normalise(text: str | None) -> str:
    """NFC, collapsed whitespace, case-folded: "  Trần  thị THỦY" and "Trần Thị Thủy" are one name."""
    return _SPACES.sub(" ", unicodedata.normalize("NFC", text or "")).strip().casefold()


def nominee_key(nominee: dict) -> str:
    name = normalise(nominee.get("name"))
    if nominee.get("kind") == "collective":
        return f"collective:{name}"
    born = (nominee.get("birth_date") or "").strip()
    return f"individual:{name}|{born}" if born else f"individual:{name}"


def achievement_key(nominee: dict) -> str:
    return normalise(nominee.get("achievement_title"))
