"""URL converters: ids in paths are database integers, so one beyond a 32-bit integer is simply not found (404)
instead of reaching the database and failing there."""
from __future__ import annotations

from werkzeug.exceptions import NotFound
from werkzeug.routing import IntegerConverter

MAX_ID = 2**31 - 1


class IdConverter(IntegerConverter):
    def to_python(self, value: str) -> int:
        number = super().to_python(value)
        if number > MAX_ID:
            # Not a failed match (Werkzeug would then look for the path under other methods and answer 405):
            # the path is right, the object cannot exist.
            raise NotFound()
        return number


def register(app) -> None:
    app.url_map.converters["int"] = IdConverter  # every <int:…> in the routes is an id
