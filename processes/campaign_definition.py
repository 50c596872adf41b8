"""A campaign's definition: the TOML file people read and edit, checked against `campaign_schema.json` and against
the unit tree, and mapped onto the `campaigns` row.

The definition is kept JSON-able (dates as ISO strings) everywhere past parsing, so TOML text from the editor and a
JSON body from the API go through the same checks and end up identical in `campaigns.details`. Errors are
Vietnamese messages keyed by the field's path, written the way the TOML reads (`quota[2].award_form`; indexes
count from 0, as in JSON).
"""
from __future__ import annotations

import datetime as dt
import json
import re
import tomllib
from functools import lru_cache
from pathlib import Path
from typing import Mapping

import tomli_w
from jsonschema import Draft202012Validator, FormatChecker, ValidationError

from .errors import ValidationFailed
from .forms import describe

SCHEMA_PATH = Path(__file__).with_name("campaign_schema.json")
MAX_TEXT_BYTES = 512 * 1024  # the largest shipped file is ~60 KB
MAX_DEPTH = 16  # tables and arrays inside each other; the shipped files use 4
YEARS = (1990, 2100)  # a campaign's dates: anything outside is a typo (0001, 9999), and breaks date arithmetic
ADMIN_KEY = "_admin"  # who created / changed the campaign and the TOML text as typed; not part of the definition
ROUND_LABELS = {"yearly": "Hằng năm", "so_ket": "Sơ kết", "tong_ket": "Tổng kết", "chuyen_de": "Chuyên đề",
                "dot_xuat": "Khen thưởng đột xuất"}  # dot_xuat: seed 003, proposed as achievements happen, no deadline
CAMPAIGN_STATUS_LABELS = {"open": "Đang mở", "closed": "Đã đóng"}
DEFAULT_PROCESS = "tdkt_nomination"  # the process a campaign runs when its definition names none
# A deadline further than this from the document or the period is almost surely a typo in the year.
DEADLINE_SLACK = dt.timedelta(days=2 * 366)


@lru_cache(maxsize=1)
def schema() -> dict:
    return json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))


@lru_cache(maxsize=1)
def _validator() -> Draft202012Validator:
    return Draft202012Validator(schema(), format_checker=FormatChecker())


@lru_cache(maxsize=1)
def date_keys() -> frozenset[str]:
    """Keys the schema declares as dates (top level and in [[related_round]]), to turn back into TOML dates."""
    defs = schema()["$defs"]
    props = {**defs["round_fields"]["properties"], **defs["related_round"]["properties"]}
    return frozenset(k for k, v in props.items() if v.get("format") == "date")


# ── reading ──────────────────────────────────────────────────────────────────────────────────────────────────

def jsonable(value):
    """TOML dates → ISO strings so the whole campaign text fits a JSON column."""
    if isinstance(value, dict):
        return {k: jsonable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [jsonable(v) for v in value]
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


def parse(source: str | Mapping) -> dict:
    """TOML text or an already-decoded mapping (the API's JSON body) → the JSON-able definition, unchecked."""
    if isinstance(source, Mapping):
        _check_depth(source)
        definition = jsonable({k: v for k, v in source.items() if k != ADMIN_KEY})
        if len(json.dumps(definition, ensure_ascii=False).encode("utf-8")) > MAX_TEXT_BYTES:  # the API's JSON body
            raise ValidationFailed("Định nghĩa phong trào quá lớn.", {"": [f"Tối đa {MAX_TEXT_BYTES // 1024} KB."]})
        return definition
    if len(source.encode("utf-8")) > MAX_TEXT_BYTES:
        raise ValidationFailed("Định nghĩa phong trào quá lớn.", {"toml": [f"Tối đa {MAX_TEXT_BYTES // 1024} KB."]})
    try:
        parsed = tomllib.loads(source)
    except tomllib.TOMLDecodeError as exc:
        raise ValidationFailed("Không đọc được nội dung TOML.", {"toml": [_toml_message(exc)]}) from exc
    except RecursionError as exc:  # tomllib parses nested arrays and inline tables recursively
        raise _too_deep("toml") from exc
    _check_depth(parsed, "toml")
    return jsonable(parsed)


def _too_deep(path: str) -> ValidationFailed:
    return ValidationFailed("Định nghĩa phong trào lồng nhau quá sâu.",
                            {path: [f"Tối đa {MAX_DEPTH} tầng bảng/mảng lồng nhau."]})


def _check_depth(value, path: str = "") -> None:
    """Refuse nesting deeper than MAX_DEPTH, walking without recursion (what follows — the schema check, the JSON
    column — recurses)."""
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, Mapping):
            children = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        if depth > MAX_DEPTH:
            raise _too_deep(path)
        stack.extend((child, depth + 1) for child in children)


def _toml_message(exc: tomllib.TOMLDecodeError) -> str:
    text = str(exc)
    where = re.search(r"\(at line (\d+), column (\d+)\)", text)
    detail = re.sub(r"\s*\(at (line \d+, column \d+|end of document)\)", "", text)
    if where:
        return f"Lỗi cú pháp TOML ở dòng {where.group(1)}, cột {where.group(2)}: {detail}."
    return f"Lỗi cú pháp TOML: {detail}."


def path_text(parts) -> str:
    out = ""
    for part in parts:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


# ── checking ─────────────────────────────────────────────────────────────────────────────────────────────────

def schema_errors(definition: dict) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    for error in _validator().iter_errors(definition):
        for path, message in _describe(error):
            errors.setdefault(path, []).append(message)
    return errors


def _describe(error: ValidationError) -> list[tuple[str, str]]:
    path = list(error.absolute_path)
    if error.validator in ("additionalProperties", "unevaluatedProperties"):
        extra = re.findall(r"'([^']+)'", error.message.split("(")[-1])
        return [(path_text([*path, k]), "Khóa này không có trong định dạng phong trào (xem campaign_schema.json).")
                for k in extra] or [(path_text(path), "Có khóa không thuộc định dạng phong trào.")]
    if error.validator == "required":
        missing = error.message.split("'")[1] if "'" in error.message else ""
        return [(path_text([*path, missing]), "Thiếu khóa bắt buộc.")]
    if error.validator == "format" and error.validator_value == "date":
        return [(path_text(path), "Ngày không hợp lệ: viết dạng năm-tháng-ngày, ví dụ 2024-08-23.")]
    if error.validator == "anyOf":
        # The quota kinds' "one of these numbers" rules, and the fields that take a code or "*".
        options = [next(iter(s.get("required", [])), None) for s in error.validator_value]
        if all(options):
            return [(path_text(path), "Cần ít nhất một trong các khóa: " + ", ".join(options) + ".")]
        return [(path_text(path), "Giá trị không hợp lệ.")]
    if error.validator == "enum":
        allowed = ", ".join(f"«{v}»" for v in error.validator_value)
        return [(path_text(path), f"Giá trị phải là một trong: {allowed}.")]
    return [(path_text(path), describe(error)[1])]


def cross_errors(definition: dict, units: Mapping[str, str | None]) -> dict[str, list[str]]:
    """What the schema can't say: codes that must exist, references between tables, dates that must agree.
    `units` maps every unit code to its parent's code (None at a root)."""
    errors: dict[str, list[str]] = {}

    def add(path: str, message: str) -> None:
        errors.setdefault(path, []).append(message)

    _check_round(definition, "", units, definition.get("award_form") or [], add)
    for i, related in enumerate(definition.get("related_round") or []):
        merged = {**{k: v for k, v in definition.items() if k != "related_round"}, **related}
        # A related round without its own award forms uses the main round's (header of qb-1532-2024.toml).
        forms = related.get("award_form", definition.get("award_form") or [])
        _check_round(merged, f"related_round[{i}].", units, forms, add, own=set(related))
    return errors


def _check_round(d: dict, prefix: str, units: Mapping[str, str | None], forms: list, add, own: set | None = None):
    mine = (lambda key: own is None or key in own)

    def ancestors(code: str) -> list[str]:
        chain = []
        while code is not None and code not in chain:
            chain.append(code)
            code = units.get(code)
        return chain

    for key in ("issuer", "receiving_unit"):
        if mine(key) and d.get(key) and d[key] not in units:
            add(prefix + key, f"Không có đơn vị mã «{d[key]}».")
    receiver = d.get("receiving_unit") if d.get("receiving_unit") in units else None
    if mine("participants") or mine("receiving_unit"):
        for j, code in enumerate(d.get("participants") or []):
            if code not in units:
                if mine("participants"):
                    add(f"{prefix}participants[{j}]", f"Không có đơn vị mã «{code}».")
            elif receiver and receiver not in ancestors(code):
                add(f"{prefix}participants[{j}]",
                    f"Đơn vị «{code}» không thuộc đơn vị nhận hồ sơ «{receiver}» (hồ sơ đi lên theo cây đơn vị).")
    issuer = d.get("issuer") if d.get("issuer") in units else None
    if (mine("issuer") or mine("receiving_unit")) and issuer and receiver \
            and ancestors(issuer)[-1] != ancestors(receiver)[-1]:
        add(prefix + "receiving_unit",
            f"Đơn vị nhận hồ sơ «{receiver}» không cùng hệ thống với đơn vị ban hành «{issuer}».")

    declared = [f.get("code") for f in forms if isinstance(f, dict)]
    if mine("award_form"):
        _duplicates(d.get("award_form") or [], f"{prefix}award_form", add)
    for key in ("dossier_document", "criterion"):
        if mine(key):
            _duplicates(d.get(key) or [], f"{prefix}{key}", add)
    if mine("quota") or mine("award_form"):
        for j, quota in enumerate(d.get("quota") or []):
            if not isinstance(quota, dict):
                continue
            form = quota.get("award_form")
            if form and form != "*" and form not in declared:
                add(f"{prefix}quota[{j}].award_form", f"Hình thức «{form}» chưa được khai báo trong award_form.")
            for k, code in enumerate(quota.get("award_forms") or []):
                if code not in declared:
                    add(f"{prefix}quota[{j}].award_forms[{k}]",
                        f"Hình thức «{code}» chưa được khai báo trong award_form.")
            for code in quota.get("overrides") or {}:
                if code not in units:
                    add(f"{prefix}quota[{j}].overrides.{code}", f"Không có đơn vị mã «{code}».")
            if quota.get("kind") == "branch_range" and isinstance(quota.get("min"), int) \
                    and isinstance(quota.get("max"), int) and quota["min"] > quota["max"]:
                add(f"{prefix}quota[{j}].min", "Số tối thiểu lớn hơn số tối đa.")
            if quota.get("kind") == "percent" and quota.get("scope") == "campaign":
                # A percentage is of one unit's own staff and collectives; a campaign has no such figure, and
                # checking against none would refuse every nominee.
                add(f"{prefix}quota[{j}].scope", "Hạn mức theo tỷ lệ phần trăm tính trên số liệu của từng đơn vị: "
                    "phạm vi phải là «each_unit».")
    if mine("voting") or mine("award_form"):
        for code in ((d.get("voting") or {}).get("by_award_form") or {}):
            if code not in declared:
                add(f"{prefix}voting.by_award_form.{code}", f"Hình thức «{code}» chưa được khai báo trong award_form.")
    _check_dates(d, prefix, add, mine)


def _duplicates(rows: list, path: str, add) -> None:
    seen: dict[str, int] = {}
    for j, row in enumerate(rows):
        code = row.get("code") if isinstance(row, dict) else None
        if code in seen:
            add(f"{path}[{j}].code", f"Mã «{code}» trùng với {path}[{seen[code]}].")
        elif code:
            seen[code] = j


def _check_dates(d: dict, prefix: str, add, mine) -> None:
    def date(key):
        try:
            return dt.date.fromisoformat(d[key]) if isinstance(d.get(key), str) else None
        except ValueError:
            return None  # the schema already reported it

    for start, end in (("period_start", "period_end"), ("movement_period_start", "movement_period_end"),
                       ("phase_period_start", "phase_period_end")):
        if (mine(start) or mine(end)) and date(start) and date(end) and date(start) > date(end):
            add(prefix + end, f"Ngày kết thúc trước ngày bắt đầu ({start}).")
    deadline, upper = date("deadline"), date("upper_deadline")
    if deadline and mine("deadline"):
        document = date("document_date")
        if document and deadline < document:
            add(prefix + "deadline", "Hạn nộp hồ sơ trước ngày ban hành văn bản.")
        if document and deadline > document + DEADLINE_SLACK:
            add(prefix + "deadline", "Hạn nộp hồ sơ cách ngày ban hành văn bản hơn hai năm — kiểm tra lại năm.")
        if date("period_start") and deadline < date("period_start"):
            add(prefix + "deadline", "Hạn nộp hồ sơ trước khi kỳ khen thưởng bắt đầu.")
        if date("period_end") and deadline > date("period_end") + DEADLINE_SLACK:
            add(prefix + "deadline", "Hạn nộp hồ sơ sau khi kỳ khen thưởng kết thúc hơn hai năm — kiểm tra lại năm.")
    if upper and (mine("upper_deadline") or mine("deadline")):
        if deadline and upper < deadline:
            add(prefix + "upper_deadline", "Hạn gửi lên cấp trên phải sau hạn các đơn vị nộp cho cấp nhận.")
        if deadline and upper > deadline + DEADLINE_SLACK:
            add(prefix + "upper_deadline", "Hạn gửi lên cấp trên quá xa hạn nộp của đơn vị — kiểm tra lại năm.")
    for key, rule in (("deadline", "deadline_rule"), ("upper_deadline", "upper_deadline_rule")):
        if mine(rule) and d.get(rule) and not d.get(key):
            add(prefix + rule, f"Có {rule} nhưng chưa có {key}.")


def _date_range_errors(definition: dict):
    """Dates outside YEARS (year 1, 9999…): a clear message instead of arithmetic that overflows later."""
    rows = [("", definition)] + [(f"related_round[{i}].", r) for i, r in
                                 enumerate(definition.get("related_round") or []) if isinstance(r, dict)]
    for prefix, row in rows:
        for key in sorted(date_keys() & set(row)):
            try:
                year = dt.date.fromisoformat(row[key]).year if isinstance(row[key], str) else None
            except ValueError:
                continue  # the schema reports a malformed date
            if year is not None and not YEARS[0] <= year <= YEARS[1]:
                yield prefix + key, f"Năm {year} nằm ngoài khoảng {YEARS[0]}–{YEARS[1]}: kiểm tra lại năm."


def check(definition: dict, units: Mapping[str, str | None]) -> dict:
    """The definition if it is well-formed and consistent with the unit tree; ValidationFailed otherwise."""
    errors = schema_errors(definition)
    for path, message in _date_range_errors(definition):
        errors.setdefault(path, []).append(message)
    if not errors:  # cross checks assume the shapes the schema guarantees
        errors = cross_errors(definition, units)
    if errors:
        raise ValidationFailed("Định nghĩa phong trào chưa hợp lệ: "
                               f"{sum(len(v) for v in errors.values())} lỗi, xem chi tiết theo từng khóa.", errors)
    return definition


# ── writing ──────────────────────────────────────────────────────────────────────────────────────────────────

def to_toml(definition: dict) -> str:
    """The definition as TOML (comments are not kept: `editor_text` prefers the text as typed when it still
    matches)."""
    def dates_back(d: dict) -> dict:
        out = {}
        for k, v in d.items():
            if k in date_keys() and isinstance(v, str):
                try:
                    v = dt.date.fromisoformat(v)
                except ValueError:
                    pass
            elif k == "related_round" and isinstance(v, list):
                v = [dates_back(r) if isinstance(r, dict) else r for r in v]
            out[k] = v
        return out

    return tomli_w.dumps(dates_back(definition_of(definition)), multiline_strings=True)


def definition_of(details: dict | None) -> dict:
    """The definition part of `campaigns.details` (without the administration record)."""
    return {k: v for k, v in (details or {}).items() if k != ADMIN_KEY}


def editor_text(details: dict | None, seed_dir: Path | None = None) -> str:
    """What the editor shows: the TOML as last typed, or the shipped seed file, while it still says exactly what
    is stored (so its comments — the citations of the seed documents — survive); otherwise a fresh rendering."""
    definition = definition_of(details)
    candidates = [((details or {}).get(ADMIN_KEY) or {}).get("source_toml")]
    if seed_dir is not None:
        candidates += [p.read_text(encoding="utf-8") for p in sorted(seed_dir.glob("*.toml"))
                       if p.stem == definition.get("code")]
    for text in candidates:
        if text:
            try:
                if jsonable(tomllib.loads(text)) == definition:
                    return text
            except tomllib.TOMLDecodeError:
                pass
    return to_toml(definition)


# ── the row ──────────────────────────────────────────────────────────────────────────────────────────────────

def _date(value) -> dt.date | None:
    if value is None or isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(value)


def apply(campaign, definition: dict, units: Mapping[str, object], admin: dict | None = None) -> None:
    """Copy a definition onto a Campaign row: the columns queries use, and the whole text in `details`.
    `units` maps codes to Unit rows. Shared by seeding and the administration verbs."""
    d = jsonable(definition_of(definition))
    campaign.code = d["code"]
    campaign.name = d["name"]
    campaign.document_number = d.get("document_number", "")
    campaign.document_date = _date(d.get("document_date"))
    campaign.issuer = units[d["issuer"]]
    campaign.receiving_unit = units[d["receiving_unit"]]
    campaign.deadline = _date(d.get("deadline"))
    campaign.process_id = d.get("process_id") or DEFAULT_PROCESS
    campaign.details = {**d, ADMIN_KEY: admin} if admin else d


def new_template(issuer: str, participants: list[str], today: dt.date) -> str:
    """The commented starting point of the "new campaign" editor, valid as it stands."""
    year = today.year
    listed = ", ".join(f'"{c}"' for c in participants[:12])
    return f'''# Phong trào / đợt khen thưởng mới. Ý nghĩa mọi khóa: xem đầu tệp
# processes/seed_data/campaigns/qb-1532-2024.toml. Ngày viết dạng năm-tháng-ngày (2024-08-23).
code = "phong-trao-moi-{year}"           # mã duy nhất, chữ thường, số và dấu "-"; không đổi được sau khi tạo
name = "Tên phong trào / đợt khen thưởng"
issuer = "{issuer}"                       # mã đơn vị ban hành văn bản
document_kind = "Công văn"
document_number = ""                      # ví dụ "1532/VKSQB-TĐ"
document_date = {today.isoformat()}
legal_basis = []
round = "yearly"                          # yearly | so_ket | tong_ket | chuyen_de | dot_xuat
process_id = "tdkt_nomination"            # quy trình (sơ đồ đã xuất bản, mục Quy trình) hồ sơ các đơn vị chạy
period_start = {year}-01-01
period_end = {year}-12-31
receiving_unit = "{issuer}"               # nơi các đơn vị tham gia gửi hồ sơ
receiving_office = "Bộ phận Thi đua - Khen thưởng"
participants = [{listed}]
deadline = {year}-12-15                   # hạn các đơn vị gửi hồ sơ tới đơn vị nhận
deadline_rule = "on"                      # "on" = hạn là chính ngày đó; "before" = phải gửi trước ngày đó
# upper_deadline = {year}-12-25           # hạn đơn vị nhận gửi hồ sơ tổng hợp lên cấp trên
# upper_deadline_rule = "on"
reminder_days_before = 3
review_working_days = 10                  # số ngày làm việc cấp nhận kiểm tra hồ sơ

[[award_form]]
code = "giay_khen_thu_truong"
name = "Giấy khen của Thủ trưởng đơn vị"
authority = "Thủ trưởng đơn vị"
dossier_level = "provincial"              # own | provincial | supreme: cấp quyết định (own: thủ trưởng đơn vị đề nghị)
for_kinds = ["collective", "individual"]

[[quota]]
award_form = "giay_khen_thu_truong"       # mã một hình thức đã khai báo ở trên, hoặc "*"
kind = "count"                            # count | percent | either_or | per_unit_kind | branch_range
scope = "each_unit"                       # each_unit | campaign
collectives = 1
individuals = 2

[[dossier_document]]
code = "to_trinh"
name = "Tờ trình đề nghị khen thưởng"
originals = 1
required = true

[voting]
quorum = 0.6667
quorum_text = "ít nhất 2/3 thành viên"
quorum_rule = "at_least"
approval = 0.5
approval_text = "trên 50% số thành viên có mặt"
approval_rule = "more_than"
'''
