"""The JSON-Schema forms of user tasks: loading them from forms/ and validating submitted data, in Vietnamese."""
from __future__ import annotations

import json
import threading
from pathlib import Path

from jsonschema import Draft202012Validator, FormatChecker
from jsonschema.exceptions import ValidationError

from .errors import NotFound, ValidationFailed

FORMS_DIR = Path(__file__).resolve().parent.parent / "forms"
MAX_PAYLOAD_BYTES = 256 * 1024


class FormRegistry:
    """Schemas and their compiled validators, read once per file."""

    def __init__(self, forms_dir: Path = FORMS_DIR):
        self.forms_dir = forms_dir
        self._lock = threading.Lock()
        self._docs: dict[str, dict] = {}
        self._validators: dict[str, Draft202012Validator] = {}

    def load(self, name: str) -> dict:
        if not name:
            return {}
        doc = self._docs.get(name)
        if doc is None:
            path = self.forms_dir / name
            if "/" in name or "\\" in name or name.startswith(".") or not path.is_file():
                raise NotFound(f"Không tìm thấy biểu mẫu «{name}».")
            doc = json.loads(path.read_text(encoding="utf-8"))
            with self._lock:
                self._docs[name] = doc
        return doc

    def validator(self, name: str) -> Draft202012Validator:
        validator = self._validators.get(name)
        if validator is None:
            schema = self.load(name)
            Draft202012Validator.check_schema(schema)
            validator = Draft202012Validator(schema, format_checker=FormatChecker())
            with self._lock:
                self._validators[name] = validator
        return validator

    def validate(self, name: str, data: object) -> dict:
        """The data if it satisfies the form's schema; otherwise ValidationFailed with per-field messages."""
        if not name:
            return data if isinstance(data, dict) else {}
        return validate_with(self.validator(name), data)


def validate_with(validator: Draft202012Validator, data: object) -> dict:
    """Return the data if it satisfies the validator's schema; otherwise raise ValidationFailed with per-field
    messages in Vietnamese."""
    if len(json.dumps(data, ensure_ascii=False).encode("utf-8")) > MAX_PAYLOAD_BYTES:
        raise ValidationFailed("Dữ liệu gửi lên quá lớn.", {"": [f"Tối đa {MAX_PAYLOAD_BYTES // 1024} KB."]})
    data = with_defaults(validator.schema, data) if isinstance(data, dict) else data
    errors: dict[str, list[str]] = {}
    for error in validator.iter_errors(data):
        path, message = describe(error)
        errors.setdefault(path, []).append(message)
    if errors:
        raise ValidationFailed("Dữ liệu chưa hợp lệ, vui lòng kiểm tra các trường được đánh dấu.", errors)
    return data


def with_defaults(schema: dict, data: dict) -> dict:
    """`data` with the schema's top-level `default` values for what it leaves out: a gateway reads every name its
    condition uses (`head_decision == 'return'`), so a client that leaves an optional choice out still takes the
    form's default path instead of failing the step."""
    defaults = {name: prop["default"] for name, prop in (schema.get("properties") or {}).items()
                if "default" in prop and name not in data}
    return {**data, **defaults} if defaults else data


def field_path(parts) -> str:
    return ".".join(str(p) for p in parts)


def describe(error: ValidationError) -> tuple[str, str]:
    """(dotted field path, Vietnamese message) for one schema violation."""
    path = list(error.absolute_path)
    v, kw = error.validator_value, error.validator
    if kw == "required":
        missing = error.message.split("'")[1] if "'" in error.message else ""
        return field_path([*path, missing]), "Trường này là bắt buộc."
    if kw == "additionalProperties":
        return field_path(path), "Có trường không thuộc biểu mẫu."
    messages = {
        "type": lambda: f"Giá trị phải là {_TYPE_NAMES.get(v if isinstance(v, str) else v[0], v)}.",
        "enum": lambda: "Vui lòng chọn một giá trị trong danh sách.",
        "const": lambda: "Giá trị không được chấp nhận.",
        "minLength": lambda: f"Cần ít nhất {v} ký tự." if v > 1 else "Trường này là bắt buộc.",
        "maxLength": lambda: f"Tối đa {v} ký tự.",
        "minimum": lambda: f"Giá trị phải từ {v} trở lên.",
        "maximum": lambda: f"Giá trị không được lớn hơn {v}.",
        "exclusiveMinimum": lambda: f"Giá trị phải lớn hơn {v}.",
        "exclusiveMaximum": lambda: f"Giá trị phải nhỏ hơn {v}.",
        "minItems": lambda: f"Cần ít nhất {v} mục.",
        "maxItems": lambda: f"Tối đa {v} mục.",
        "format": lambda: "Ngày không hợp lệ (dd/mm/yyyy)." if v == "date" else f"Sai định dạng ({v}).",
        "pattern": lambda: (error.schema or {}).get("x-patternMessage") or "Giá trị không đúng định dạng.",
        "uniqueItems": lambda: "Các mục không được trùng nhau.",
    }
    return field_path(path), messages.get(kw, lambda: "Giá trị không hợp lệ.")()


_TYPE_NAMES = {"string": "chuỗi ký tự", "integer": "số nguyên", "number": "số", "boolean": "đúng/sai",
               "array": "danh sách", "object": "nhóm trường"}

forms = FormRegistry()


def has_server_values(schema: dict) -> bool:
    """Whether a form holds fields the server owns (`readOnly`, or an array with `x-fixedRows`)."""
    if schema.get("readOnly") or schema.get("x-fixedRows"):
        return True
    return any(has_server_values(sub) for sub in (schema.get("properties") or {}).values()) \
        or (schema.get("type") == "array" and has_server_values(schema.get("items") or {}))


def keep_server_values(schema: dict, data, current):
    """`data` as posted, with what the server owns put back from `current` (what the form opened with): a
    `readOnly` field's value (e.g. a campaign's threshold) and an `x-fixedRows` array's rows — none added or
    removed. The web form does the same when it parses the post; this holds for every client, the API too."""
    if not isinstance(data, dict):
        return data
    current = current if isinstance(current, dict) else {}
    out = dict(data)
    for name, sub in (schema.get("properties") or {}).items():
        if sub.get("readOnly"):
            if name in current:
                out[name] = current[name]
            else:
                out.pop(name, None)
        elif sub.get("type") == "object" and isinstance(out.get(name), dict):
            out[name] = keep_server_values(sub, out[name], current.get(name))
        elif sub.get("type") == "array" and isinstance(out.get(name), list):
            rows, rendered = out[name], current.get(name) if isinstance(current.get(name), list) else []
            if sub.get("x-fixedRows"):
                rows = [rows[i] if i < len(rows) and isinstance(rows[i], dict) else {} for i in range(len(rendered))]
            item = sub.get("items") or {}
            out[name] = [keep_server_values(item, row, rendered[i] if i < len(rendered) else None)
                         for i, row in enumerate(rows)]
    return out


def campaign_choices(details: dict | None) -> dict[str, list[tuple[str, str]]]:
    """Choices a campaign narrows in its forms: the award forms it offers (code, its own name), for every field
    named `award_form`. Empty when the campaign names none (the form's own list stands)."""
    offered = [(f["code"], f.get("name") or f["code"]) for f in (details or {}).get("award_form") or []
               if f.get("code")]
    return {"award_form": offered} if offered else {}


def initial_data(schema: dict, case_data: dict, defaults: dict | None = None) -> dict:
    """What a task's form opens with: the case's current values for the form's fields (so a step returned for
    correction shows what was entered before), lists prefilled from other case data where the schema says
    `x-prefillFrom`, a value from `defaults` where the schema names one with `x-defaultFrom` and the case has none
    (the deciding body's head title as the signer's), and nothing for fields marked `x-fresh` (a decision is taken
    anew each round)."""
    data = {}
    for name, prop in schema.get("properties", {}).items():
        if prop.get("x-fresh"):
            continue
        if case_data.get(name) is not None:  # a key a script cleared (None) opens empty, as a new one does
            data[name] = case_data[name]
        elif prop.get("x-defaultFrom") and (defaults or {}).get(prop["x-defaultFrom"]):
            data[name] = defaults[prop["x-defaultFrom"]]
        prefill = prop.get("x-prefillFrom")
        if prefill and not data.get(name):
            # `source` may name several keys: the first the case holds rows in (the record-decision form lists the
            # head's own nominees at unit_decision, those sent up at the upper decision, else every nominee)
            names = prefill["source"] if isinstance(prefill["source"], list) else [prefill["source"]]
            source = next((case_data[k] for k in names if case_data.get(k)), None) or []
            # a value the source lacks is left out, not sent as null: the form's schema would refuse null
            data[name] = [{dst: item[src] for dst, src in prefill["map"].items() if item.get(src) is not None}
                          for item in source if isinstance(item, dict)]
    return data


def field_labels(registry: FormRegistry = forms) -> dict:
    """Titles and enum labels of every field in forms/, so a case's data reads in Vietnamese, not in keys."""
    return labels_of(registry.load(path.name) for path in sorted(registry.forms_dir.glob("*-schema.json")))


def labels_of(schemas) -> dict:
    """Titles and enum labels of every field of these schemas (the first title of a field name wins)."""
    titles: dict[str, str] = {}
    enums: dict[str, dict[str, str]] = {}

    def walk(schema: dict):
        for name, prop in (schema.get("properties") or {}).items():
            if "title" in prop:
                titles.setdefault(name, prop["title"])
            if "enum" in prop:
                enums.setdefault(name, dict(zip(map(str, prop["enum"]), prop.get("x-enumNames", prop["enum"]))))
            walk(prop)
            walk(prop.get("items") or {})

    for schema in schemas:
        walk(schema)
    return {"titles": titles, "enums": enums}
