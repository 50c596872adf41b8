"""Campaign definitions an administrator saves: nesting and dates that would break the app are refused with a
clear message, and the lists of campaigns read only summary columns, never the definitions."""
from __future__ import annotations

import html
from pathlib import Path

import pytest
from sqlalchemy import event, select, update

from processes import campaign_definition as cdef
from processes.errors import ValidationFailed
from processes.models import Campaign
from webapp.extensions import db

QB_TOML = (Path(__file__).resolve().parent.parent / "processes" / "seed_data" / "campaigns"
           / "qb-1532-2024.toml").read_text(encoding="utf-8")
DEEP = {
    "arrays": "\nx = " + "[" * 500 + "]" * 500 + "\n",
    "inline tables": "\ny = " + "{a = " * 500 + "1" + "}" * 500 + "\n",
    "table headers": "\n[" + ".".join(["z"] * 500) + "]\n",
}


@pytest.mark.parametrize("kind", DEEP)
def test_toml_nested_500_deep_is_refused_with_a_message(kind):
    with pytest.raises(ValidationFailed) as refused:
        cdef.parse(QB_TOML + DEEP[kind])
    assert refused.value.message == "Định nghĩa phong trào lồng nhau quá sâu."
    assert refused.value.details["field_errors"] == {"toml": [f"Tối đa {cdef.MAX_DEPTH} tầng bảng/mảng lồng nhau."]}


def test_json_nested_deep_is_refused_with_a_message():
    nested = {"code": "x"}
    for _ in range(200):
        nested = {"a": nested}
    with pytest.raises(ValidationFailed, match="lồng nhau quá sâu"):
        cdef.parse({"code": "x", "extra": nested})


def _with_deadline(day: str) -> str:
    return QB_TOML.replace("deadline = 2024-08-23", f"deadline = {day}", 1)


@pytest.mark.parametrize("day, year", [("0001-01-01", 1), ("9999-12-31", 9999)])
def test_dates_in_year_1_or_9999_are_refused_with_a_message(day, year):
    with pytest.raises(ValidationFailed) as refused:
        cdef.check(cdef.parse(_with_deadline(day)), {})
    assert refused.value.details["field_errors"]["deadline"] == [f"Năm {year} nằm ngoài khoảng 1990–2100: kiểm tra lại năm."]


def _admin(browser):
    return browser("admin")


def test_the_editor_and_the_api_answer_422_for_deep_nesting_and_far_dates(app, session, browser, api):
    campaign_id = session.scalar(select(Campaign.id).where(Campaign.code == "qb-1532-2024"))
    admin = _admin(browser)
    for text, message in ((QB_TOML + DEEP["arrays"], "Định nghĩa phong trào lồng nhau quá sâu."),
                          (_with_deadline("9999-12-31"), "Năm 9999 nằm ngoài khoảng 1990–2100")):
        response = admin.post_form(f"/admin/campaigns/{campaign_id}", f"/admin/campaigns/{campaign_id}",
                                   {"toml": text})
        assert response.status_code == 422
        assert message in html.unescape(response.get_data(as_text=True))
    definition = cdef.parse(_with_deadline("0001-01-01"))
    response = api("admin").client.put(f"/api/campaigns/{campaign_id}", json=definition,
                                       headers=api("admin").headers)
    assert response.status_code == 422
    assert response.get_json()["fields"]["deadline"] == ["Năm 1 nằm ngoài khoảng 1990–2100: kiểm tra lại năm."]


def test_campaign_lists_never_load_a_definition(app, session, browser, api):
    """A row written before the size limit, with a 9 MB definition: the lists read only the summary columns."""
    original = session.scalar(select(Campaign).where(Campaign.code == "qb-1532-2024"))
    huge = {**original.details, "notes": "x" * (9 * 1024 * 1024)}
    session.execute(update(Campaign).where(Campaign.id == original.id).values(details=huge))
    session.commit()
    statements = []
    people = ((browser("vks-qb-dong-hoi.canbo"), "/campaigns"), (_admin(browser), "/admin/campaigns"))
    reader = api("vks-qb-dong-hoi.canbo")
    with app.app_context():
        engine = db.engine  # the app's own engine; requests below run outside this context (each its own)

    def seen(conn, cursor, statement, *args):
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", seen)
    try:
        for person, url in people:
            statements.clear()
            response = person.get(url)
            assert response.status_code == 200 and "1532" in response.get_data(as_text=True)
            assert len(response.data) < 1_000_000
            loaded = [s for s in statements if "campaigns.details" in s]
            assert not loaded, f"{url} loaded campaign definitions: {loaded[0][:300]}"
        statements.clear()
        listed = reader.get("/api/campaigns")
        assert listed.status_code == 200 and not [s for s in statements if "campaigns.details" in s]
        assert statements  # the listener did see the list's queries
    finally:
        event.remove(engine, "before_cursor_execute", seen)
    # the summary shows what the list needs (round, period), kept in step when the definition is saved
    assert session.get(Campaign, original.id).summary["round"] == original.details["round"]
