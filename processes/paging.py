"""Page arithmetic shared by the lists (inbox, cases, notifications, campaigns, award history)."""
from __future__ import annotations

COUNT_CAP = 1000  # beyond this a list says "more than 1,000": an exact count would grow with the list


def page_count(total: int, per_page: int, cap: int | None = None) -> int:
    """How many pages `total` rows make (at least one); a capped count stops at `cap` rows."""
    return max(1, -(-(min(total, cap) if cap is not None else total) // per_page))


class Paged:
    """The page count of a list page holding `total` and `per_page` (a dataclass of rows mixes this in)."""
    total: int
    per_page: int

    @property
    def pages(self) -> int:
        return page_count(self.total, self.per_page)


class CappedPaged(Paged):
    """A list page whose count stops at COUNT_CAP (`total` is COUNT_CAP + 1 for "more than COUNT_CAP")."""

    @property
    def capped(self) -> bool:
        return self.total > COUNT_CAP

    @property
    def pages(self) -> int:
        return page_count(self.total, self.per_page, COUNT_CAP)
