"""Posted HTML fields ↔ JSON data, shaped by the schema."""
from werkzeug.datastructures import MultiDict

from processes.forms import forms
from webapp.formrender import build_fields, parse_form

SCHEMA = {
    "type": "object",
    "properties": {
        "meeting_date": {"type": "string", "format": "date", "title": "Ngày họp"},
        "members_total": {"type": "integer"},
        "note": {"type": "string"},
        "ok": {"type": "boolean"},
        "votes": {"type": "array", "items": {"type": "object", "properties": {
            "nominee": {"type": "string"}, "votes_for": {"type": "integer"}}}},
    },
    "required": ["meeting_date"],
}


def test_parse_coerces_by_schema_and_drops_blank_rows():
    form = MultiDict({"meeting_date": "20/08/2024", "members_total": " 9 ", "note": "  ",
                      "votes.0.nominee": "Nguyễn Văn An", "votes.0.votes_for": "8",
                      "votes.3.nominee": "Phòng 1", "votes.3.votes_for": "7",
                      "votes.1.nominee": "", "votes.1.votes_for": ""})
    assert parse_form(SCHEMA, form) == {
        "meeting_date": "2024-08-20", "members_total": 9, "ok": False,
        "votes": [{"nominee": "Nguyễn Văn An", "votes_for": 8}, {"nominee": "Phòng 1", "votes_for": 7}],
    }


def test_uncoercible_values_are_kept_for_the_schema_to_reject():
    data = parse_form(SCHEMA, MultiDict({"meeting_date": "31/02/2024", "members_total": "chín"}))
    assert data["meeting_date"] == "31/02/2024" and data["members_total"] == "chín"


def test_fields_carry_values_and_errors_back():
    fields = build_fields(SCHEMA, {"ui:order": ["votes"]}, {"meeting_date": "2024-08-20", "votes": [{"nominee": "A"}]},
                          {"votes.0.votes_for": ["Trường này là bắt buộc."]})
    assert [f.name for f in fields][:1] == ["votes"]
    date = next(f for f in fields if f.name == "meeting_date")
    assert date.value == "20/08/2024" and date.required and date.widget == "date"
    votes = fields[0]
    assert votes.rows[0][0].value == "A"
    assert votes.rows[0][1].errors == ["Trường này là bắt buộc."] and votes.has_errors


def test_every_shipped_form_renders():
    for path in sorted(forms.forms_dir.glob("*-schema.json")):
        fields = build_fields(forms.load(path.name), {}, {}, {})
        assert fields, path.name
