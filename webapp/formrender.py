"""JSON-Schema forms as HTML: the field tree a template renders, and posted fields back into JSON data.

Rendered on the server so validation errors sit next to their fields and the entered values survive a failed
submit, with or without JavaScript. Field names are dotted paths ("nominees.0.name"), the same paths the core's
validation errors use. Supports what forms/ uses: objects, arrays of objects, strings (text, textarea, date,
enum), integers, numbers, booleans; RJSF-style UI hints ui:order, ui:widget (textarea, hidden), ui:help,
ui:placeholder, ui:title.

`readOnly: true` fields show as text with their value in a hidden input, and `parse_form` takes them from the
data the form was rendered with (`current`), never from the post: a read-only value comes from the server (e.g. a
campaign's threshold prefilled by `x-prefillFrom`) and a hand-made request must not change it. Rows of an array
keep their rendered index (new rows get higher ones), so row i of the post is row i of `current`. An array marked
`x-fixedRows` has exactly the rows it was rendered with: none added or removed.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from processes.clock import format_date, parse_vn_date

INDEX = "__INDEX__"


@dataclass
class Field:
    name: str
    title: str
    widget: str  # text | textarea | date | select | integer | number | checkbox | object | array
    required: bool = False
    value: Any = None
    description: str = ""
    help: str = ""
    placeholder: str = ""
    options: list[tuple[str, str]] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    children: list["Field"] = field(default_factory=list)
    rows: list[list["Field"]] = field(default_factory=list)
    template: list["Field"] = field(default_factory=list)
    attrs: dict[str, Any] = field(default_factory=dict)
    readonly: bool = False

    @property
    def display(self) -> str:
        """A read-only field's value as the person reads it."""
        if self.widget == "checkbox":
            return "Có" if self.value else "Không"
        if self.value is None:
            return "—"
        if self.widget == "select":
            return next((label for value, label in self.options if value == str(self.value)), str(self.value))
        if isinstance(self.value, float) and self.value.is_integer():
            return str(int(self.value))
        return str(self.value)

    @property
    def has_errors(self) -> bool:
        return bool(self.errors) or any(c.has_errors for c in self.children) or any(
            f.has_errors for row in self.rows for f in row)


def build_fields(schema: dict, ui: dict, data: dict, errors: dict[str, list[str]],
                 choices: dict[str, list[tuple[str, str]]] | None = None) -> list[Field]:
    """`choices`: options that replace a select's own wherever a field of that name appears (the campaign's award
    forms, `processes.forms.campaign_choices`); the server's rules refuse any other value whoever posts it."""
    return _object_children(schema, ui or {}, data or {}, errors or {}, prefix="", choices=choices or {})


def _object_children(schema: dict, ui: dict, data: dict, errors, prefix: str, choices=None) -> list[Field]:
    props = schema.get("properties", {})
    order = [n for n in ui.get("ui:order", []) if n in props] + [n for n in props if n not in ui.get("ui:order", [])]
    # required always, or in the branch a form takes by default (the head's tờ trình when submitting): marked *
    required = set(schema.get("required", [])) | set((schema.get("else") or {}).get("required", []))
    return [_field(props[n], ui.get(n, {}), data.get(n) if isinstance(data, dict) else None, errors,
                   f"{prefix}{n}", n in required, choices or {}) for n in order]


def _field(schema: dict, ui: dict, value, errors, name: str, required: bool, choices=None) -> Field:
    kind = schema.get("type", "string")
    widget = ui.get("ui:widget")
    f = Field(name=name, title=ui.get("ui:title", schema.get("title", name.rsplit(".", 1)[-1])), widget="text",
              required=required, value=value, description=schema.get("description", ""),
              help=ui.get("ui:help", ""), placeholder=ui.get("ui:placeholder", ""),
              errors=list(errors.get(name, [])), readonly=bool(schema.get("readOnly")))
    if kind == "object":
        f.widget = "object"
        f.children = _object_children(schema, ui, value if isinstance(value, dict) else {}, errors, name + ".",
                                      choices)
    elif kind == "array":
        f.widget = "array"
        item_schema, item_ui = schema.get("items", {}), ui.get("items", {})
        items = value if isinstance(value, list) else []
        fixed = bool(schema.get("x-fixedRows"))
        count = len(items) if fixed else max(len(items), schema.get("minItems", 0), 1)
        for i in range(count):
            item = items[i] if i < len(items) else {}
            f.rows.append(_object_children(item_schema, item_ui, item, errors, f"{name}.{i}.", choices))
        f.template = _object_children(item_schema, item_ui, {}, {}, f"{name}.{INDEX}.", choices)
        f.attrs = {"min": schema.get("minItems", 0), "max": schema.get("maxItems", 0), "fixed": fixed}
    elif "enum" in schema:
        f.widget = "select"
        if value is None and "default" in schema:  # the choice the server takes when none is posted, shown
            f.value = schema["default"]
        labels = schema.get("x-enumNames", schema["enum"])
        f.options = [(str(v), str(l)) for v, l in zip(schema["enum"], labels)]
        narrowed = (choices or {}).get(name.rsplit(".", 1)[-1])
        if narrowed:
            # A value entered before (or posted by hand) that the campaign does not offer stays visible, marked,
            # so the person sees what the refusal next to it is about.
            kept = [] if value in (None, "") or any(str(value) == v for v, _ in narrowed) else [
                (str(value), f"{dict(f.options).get(str(value), value)} (không thuộc phong trào này)")]
            f.options = [(str(v), str(l)) for v, l in narrowed] + kept
        if widget == "hidden":  # a choice this step does not ask (its form's default, or the value kept, stands)
            f.widget = "hidden"
    elif kind == "boolean":
        f.widget = "checkbox"
    elif kind in ("integer", "number"):
        f.widget = kind
        f.attrs = {k: schema[k] for k in ("minimum", "maximum") if k in schema}
    elif schema.get("format") == "date":
        f.widget = "date"
        f.placeholder = f.placeholder or "dd/mm/yyyy"
        f.value = _display_date(value)
    else:
        f.widget = widget if widget in ("textarea", "hidden") else "text"
        if "maxLength" in schema:
            f.attrs["maxlength"] = schema["maxLength"]
    return f


def _as_dict(value) -> dict:
    return value if isinstance(value, dict) else {}


def _display_date(value):
    if isinstance(value, str):
        try:
            return format_date(parse_vn_date(value))
        except ValueError:
            return value  # what the person typed, shown back with its error
    return value


# --- posted form → JSON ---------------------------------------------------------------------------------------

def parse_form(schema: dict, form, current: dict | None = None) -> dict:
    """Posted fields → data shaped by the schema. Values that cannot be coerced are kept as typed, so the schema
    rejects them with a message and the page shows them back; empty optional fields are left out. With `current`
    (the data the form was rendered with), read-only fields and fixed rows come from it (see the module's note)."""
    return _parse_object(schema, form, "", current) or {}


def _parse_object(schema: dict, form, prefix: str, current: dict | None = None) -> dict:
    out = {}
    for name, sub in schema.get("properties", {}).items():
        if current is not None and sub.get("readOnly"):
            value = current.get(name)
        else:
            value = _parse_value(sub, form, f"{prefix}{name}",
                                 current.get(name) if isinstance(current, dict) else None, current is not None)
        if value is not None:
            out[name] = value
    return out


def _parse_value(schema: dict, form, name: str, current=None, trusted: bool = False):
    kind = schema.get("type", "string")
    if kind == "object":
        return _parse_object(schema, form, name + ".", _as_dict(current) if trusted else None) or None
    if kind == "array":
        pattern = re.compile(re.escape(name) + r"\.(\d+)\.")
        indexes = sorted({int(m.group(1)) for key in form.keys() if (m := pattern.match(key))})
        rendered = current if isinstance(current, list) else []
        if trusted and schema.get("x-fixedRows"):
            indexes = range(len(rendered))
        items = [_parse_object(schema.get("items", {}), form, f"{name}.{i}.",
                               (_as_dict(rendered[i]) if i < len(rendered) else {}) if trusted else None)
                 for i in indexes]
        return [item for item in items if item]  # a row left entirely blank was not meant as an entry
    if kind == "boolean":
        return form.get(name) in ("on", "true", "1", "yes")
    raw = form.get(name)
    if raw is None:
        return None
    raw = raw.strip()
    if raw == "":
        return None
    if kind == "integer":
        try:
            return int(raw)
        except ValueError:
            return raw
    if kind == "number":
        try:
            return float(raw.replace(",", "."))
        except ValueError:
            return raw
    if schema.get("format") == "date":
        try:
            return parse_vn_date(raw).isoformat()
        except ValueError:
            return raw
    return raw
