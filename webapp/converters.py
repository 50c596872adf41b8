"""URL converters: ids in paths are database integers, so one beyond a 32-bit integer is simply not found (404)
instead of reaching the database and failing there."""
from __future__ import annotations

from werkzeug.routing import IntegerConverter

MAX_ID = 2**31 - 1


class IdConverter(IntegerConverter):
    def __init__(self, map, *args, **kwargs):
        kwargs.setdefault("max", MAX_ID)
        super().__init__(map, *args, **kwargs)


def register(app) -> None:
    app.url_map.converters["int"] = IdConverter  # every <int:…> in the routes is an id
