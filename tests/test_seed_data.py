"""The demo seed data in processes/seed_data/: units.toml and one TOML file per campaign round.

Checks that the files load with tomllib, that the unit tree is well formed, that every campaign points at units and
award forms that exist, that the deadlines are the ones the seed documents state, and that all text is NFC.
"""
from __future__ import annotations

import datetime as dt
import re
import tomllib
import unicodedata
from pathlib import Path

import pytest

SEED_DIR = Path(__file__).resolve().parents[1] / "processes" / "seed_data"
CAMPAIGN_FILES = sorted((SEED_DIR / "campaigns").glob("*.toml"))

LEVELS = {"supreme", "provincial", "district", "commune"}
UNIT_KINDS = {"procuracy", "procuracy_department", "state_agency", "people_committee", "party_union", "press",
              "enterprise"}
ROUNDS = {"yearly", "so_ket", "tong_ket", "chuyen_de"}
AWARD_CODES = {"bang_khen_vkstc", "giay_khen_thu_truong", "co_thi_dua_nganh", "bang_khen_ttg", "co_thi_dua_cp",
               "huan_chuong_ld", "bang_khen_ubnd_tinh", "giay_khen_ubnd_huyen"}
QUOTA_KINDS = {"count", "percent", "either_or", "per_unit_kind", "branch_range"}
QUOTA_SCOPES = {"each_unit", "campaign"}
CRITERION_KINDS = {"percent_min", "boolean", "qualitative"}
DOSSIER_CODES = {"to_trinh", "danh_sach", "bien_ban", "bao_cao_thanh_tich", "bao_cao_tom_tat"}
NOMINEE_KINDS = {"collective", "individual"}
CODE_RE = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")

# What the seed documents say (000 §6, 002 last paragraph, 004 §IV.2); 001 names no deadline.
EXPECTED_DEADLINES = {
    "qb-1532-2024": (dt.date(2024, 8, 23), "on"),
    "dn-cds-so-ket-2024": (dt.date(2024, 8, 30), "before"),
    "dn-cds-tong-ket-2025": (dt.date(2025, 8, 30), "before"),
    "th-cds-2024": (dt.date(2024, 9, 20), "before"),
    "vkstc-dmst-2025-2027": (None, None),
}


def _load(path: Path) -> dict:
    with path.open("rb") as fh:
        return tomllib.load(fh)


@pytest.fixture(scope="module")
def units() -> list[dict]:
    return _load(SEED_DIR / "units.toml")["unit"]


@pytest.fixture(scope="module")
def unit_by_code(units) -> dict[str, dict]:
    return {u["code"]: u for u in units}


@pytest.fixture(scope="module")
def campaigns() -> list[dict]:
    return [_load(p) for p in CAMPAIGN_FILES]


def _rounds(campaign: dict):
    """The campaign's own round, then its related rounds (001) with missing keys taken from the main round."""
    yield campaign
    for related in campaign.get("related_round", []):
        yield {**campaign, **related}


def _strings(value):
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield key
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


# ── units ──────────────────────────────────────────────────────────────────────────────────────────────────

def test_unit_codes_are_unique_ascii_and_dashed(units):
    codes = [u["code"] for u in units]
    assert len(codes) == len(set(codes))
    for code in codes:
        assert CODE_RE.match(code), code


def test_unit_parents_exist_and_precede_children(units):
    seen: set[str] = set()
    for unit in units:
        if unit["parent"]:
            assert unit["parent"] in seen, f"{unit['code']}: parent {unit['parent']} missing or listed later"
        seen.add(unit["code"])


def test_unit_fields(units):
    for unit in units:
        assert unit["level"] in LEVELS, unit["code"]
        assert unit["kind"] in UNIT_KINDS, unit["code"]
        assert unit["name"] and unit["short_name"] and unit["place"], unit["code"]
        assert isinstance(unit["staff_count"], int) and unit["staff_count"] > 0, unit["code"]
        assert isinstance(unit["collective_count"], int) and unit["collective_count"] >= 0, unit["code"]


def test_two_trees_with_the_expected_roots(units):
    roots = [u["code"] for u in units if not u["parent"]]
    assert roots == ["vkstc", "ubnd-thanh-hoa"]
    assert all(u["level"] == "supreme" for u in units if not u["parent"])


def test_children_sit_below_their_parents(unit_by_code):
    order = ["supreme", "provincial", "district", "commune"]
    for unit in unit_by_code.values():
        if unit["parent"]:
            parent = unit_by_code[unit["parent"]]
            assert order.index(unit["level"]) >= order.index(parent["level"]), unit["code"]


def test_every_commune_has_a_district_parent(unit_by_code):
    for unit in unit_by_code.values():
        if unit["level"] == "commune":
            assert unit_by_code[unit["parent"]]["level"] == "district", unit["code"]


# ── campaigns ──────────────────────────────────────────────────────────────────────────────────────────────

def test_the_five_campaign_files_are_there():
    assert {p.stem for p in CAMPAIGN_FILES} == set(EXPECTED_DEADLINES)


@pytest.mark.parametrize("path", CAMPAIGN_FILES, ids=lambda p: p.stem)
def test_campaign_file_is_named_by_its_code(path):
    assert _load(path)["code"] == path.stem


def test_campaign_codes_are_unique(campaigns):
    codes = [c["code"] for c in campaigns]
    codes += [r["code"] for c in campaigns for r in c.get("related_round", [])]
    assert len(codes) == len(set(codes))


def test_campaign_units_exist(campaigns, unit_by_code):
    for campaign in campaigns:
        for rnd in _rounds(campaign):
            assert rnd["issuer"] in unit_by_code, rnd["code"]
            assert rnd["receiving_unit"] in unit_by_code, rnd["code"]
            assert rnd["participants"], rnd["code"]
            assert len(rnd["participants"]) == len(set(rnd["participants"])), rnd["code"]
            for code in rnd["participants"]:
                assert code in unit_by_code, f"{rnd['code']}: participant {code}"
            for quota in rnd.get("quota", []):
                for code in quota.get("overrides", {}):
                    assert code in rnd["participants"], f"{rnd['code']}: override for {code}"


def test_participants_belong_to_the_issuers_tree(campaigns, unit_by_code):
    def root(code):
        while unit_by_code[code]["parent"]:
            code = unit_by_code[code]["parent"]
        return code

    for campaign in campaigns:
        tree = root(campaign["issuer"])
        assert root(campaign["receiving_unit"]) == tree
        for code in campaign["participants"]:
            assert root(code) == tree, f"{campaign['code']}: {code}"


def test_campaign_scalar_fields(campaigns):
    for campaign in campaigns:
        for rnd in _rounds(campaign):
            assert rnd["name"], rnd["code"]
            assert rnd["round"] in ROUNDS, rnd["code"]
            assert isinstance(rnd["period_start"], dt.date) and isinstance(rnd["period_end"], dt.date)
            assert rnd["period_start"] < rnd["period_end"], rnd["code"]
            assert isinstance(rnd["reminder_days_before"], int) and 0 < rnd["reminder_days_before"] < 30
            if "document_date" in rnd:
                assert isinstance(rnd["document_date"], dt.date)
            assert isinstance(rnd.get("legal_basis", []), list)
            assert all(isinstance(s, str) and s for s in rnd.get("eligibility", [])), rnd["code"]


@pytest.mark.parametrize("code", sorted(EXPECTED_DEADLINES))
def test_deadlines_are_the_ones_the_seeds_state(code):
    campaign = _load(SEED_DIR / "campaigns" / f"{code}.toml")
    deadline, rule = EXPECTED_DEADLINES[code]
    assert campaign.get("deadline") == deadline
    assert campaign.get("deadline_rule") == rule
    if deadline is not None:
        assert type(campaign["deadline"]) is dt.date  # a TOML local date, not a datetime
        assert campaign["period_start"] <= deadline


def test_document_numbers_and_dates_are_only_those_the_seeds_give(campaigns):
    by_code = {c["code"]: c for c in campaigns}
    assert by_code["qb-1532-2024"]["document_number"] == "1532/VKSQB-TĐ"
    assert by_code["qb-1532-2024"]["document_date"] == dt.date(2024, 8, 15)
    for code in ("vkstc-dmst-2025-2027", "dn-cds-so-ket-2024", "dn-cds-tong-ket-2025", "th-cds-2024"):
        assert "document_number" not in by_code[code], code
        assert "document_date" not in by_code[code], code


def test_award_forms(campaigns):
    for campaign in campaigns:
        for rnd in _rounds(campaign):
            forms = rnd["award_form"]
            codes = [f["code"] for f in forms]
            assert codes and len(codes) == len(set(codes)), rnd["code"]
            for form in forms:
                assert form["code"] in AWARD_CODES, form["code"]
                assert form["name"] and form["authority"]
                assert form["dossier_level"] in {"own", "provincial", "supreme"}  # own: the unit's head decides
                assert form["for_kinds"] and set(form["for_kinds"]) <= NOMINEE_KINDS


def test_quotas_reference_award_forms_of_their_campaign(campaigns):
    for campaign in campaigns:
        for rnd in _rounds(campaign):
            codes = {f["code"] for f in rnd["award_form"]}
            for quota in rnd.get("quota", []):
                assert quota["award_form"] == "*" or quota["award_form"] in codes, rnd["code"]
                for code in quota.get("award_forms", []):
                    assert code in codes, f"{rnd['code']}: {code}"
                assert quota["kind"] in QUOTA_KINDS
                assert quota.get("scope", "each_unit") in QUOTA_SCOPES
                assert quota["source"]
                assert set(quota.get("participant_kinds", [])) <= UNIT_KINDS
                assert set(quota.get("participant_levels", [])) <= LEVELS


def test_quota_fields_fit_their_kind(campaigns):
    for campaign in campaigns:
        for rnd in _rounds(campaign):
            for quota in rnd.get("quota", []):
                kind = quota["kind"]
                if kind == "count":
                    assert "collectives" in quota or "individuals" in quota
                elif kind == "percent":
                    assert 0 < quota["percent_collectives"] <= 100 and 0 < quota["percent_individuals"] <= 100
                elif kind == "either_or":
                    assert quota["total"] >= 1
                elif kind == "per_unit_kind":
                    assert quota["unit_kind"] in UNIT_KINDS and quota["collectives"] >= 1
                elif kind == "branch_range":
                    assert 0 < quota["min"] <= quota["max"]


def test_quota_numbers_from_the_seeds(campaigns):
    by_code = {c["code"]: c for c in campaigns}
    th = by_code["th-cds-2024"]["quota"]
    provincial = next(q for q in th if "state_agency" in q.get("participant_kinds", []))
    assert provincial["total"] == 1
    assert provincial["overrides"] == {"so-tttt-thanh-hoa": 2, "vp-ubnd-thanh-hoa": 2}
    communes = next(q for q in th if q["kind"] == "per_unit_kind")
    assert communes["collectives"] == 1 and communes["overrides"] == {"ubnd-tp-thanh-hoa": 2}
    vkstc = by_code["vkstc-dmst-2025-2027"]
    assert (vkstc["quota"][0]["collectives"], vkstc["quota"][0]["individuals"]) == (3, 4)
    yearly, final = vkstc["related_round"]
    assert (yearly["quota"][0]["percent_collectives"], yearly["quota"][0]["percent_individuals"]) == (10, 5)
    assert final["round"] == "tong_ket" and final["period_end"].year == 2030
    assert {q["kind"] for q in final["quota"]} == {"branch_range", "count"}


def test_dossier_documents(campaigns):
    for campaign in campaigns:
        docs = campaign["dossier_document"]
        codes = [d["code"] for d in docs]
        assert len(codes) == len(set(codes)) and set(codes) <= DOSSIER_CODES, campaign["code"]
        assert {"to_trinh", "bien_ban", "bao_cao_thanh_tich"} <= set(codes)
        for doc in docs:
            assert doc["name"] and isinstance(doc["required"], bool)
            assert isinstance(doc["originals"], int) and doc["originals"] >= 1
    by_code = {c["code"]: c for c in campaigns}
    assert all(d["originals"] == 1 for d in by_code["qb-1532-2024"]["dossier_document"])
    th_docs = {d["code"]: d for d in by_code["th-cds-2024"]["dossier_document"]}
    # "02 bộ bản chính" is said of the two reports only (004 §IV.1): see test_two_originals_only_for_what_seed_004_says
    assert th_docs["bao_cao_thanh_tich"]["originals"] == th_docs["bao_cao_tom_tat"]["originals"] == 2
    assert "bao_cao_tom_tat" in th_docs
    assert th_docs["to_trinh"]["template"] == "Mẫu số 01, NĐ 98/2023/NĐ-CP"
    assert th_docs["bao_cao_thanh_tich"]["template"] == "Mẫu số 08, NĐ 98/2023/NĐ-CP"


def test_criteria(campaigns):
    for campaign in campaigns:
        for rnd in _rounds(campaign):
            crits = rnd.get("criterion", [])
            codes = [c["code"] for c in crits]
            assert len(codes) == len(set(codes)), rnd["code"]
            for crit in crits:
                assert crit["kind"] in CRITERION_KINDS, crit["code"]
                assert crit["nominee"] in NOMINEE_KINDS, crit["code"]
                assert crit["unit_kind"] == "*" or crit["unit_kind"] in UNIT_KINDS, crit["code"]
                assert crit.get("unit_level", "commune") in LEVELS, crit["code"]
                assert crit["label"] and crit["source"], crit["code"]
                if crit["kind"] == "percent_min":
                    assert 0 < crit["threshold"] <= 100, crit["code"]
                else:
                    assert "threshold" not in crit, crit["code"]


def test_thanh_hoa_thresholds(campaigns):
    crits = {c["code"]: c for c in next(c for c in campaigns if c["code"] == "th-cds-2024")["criterion"]}
    assert crits["xa_tthc_truc_tuyen"]["threshold"] == 65
    assert crits["huyen_tthc_truc_tuyen"]["threshold"] == 90
    assert crits["huyen_toan_trinh"]["threshold"] == 85
    assert crits["huyen_thanh_toan_truc_tuyen"]["threshold"] == 45
    assert crits["sbn_van_ban_ky_so"]["threshold"] == 100
    assert "xa_thanh_toan_truc_tuyen" not in crits


def test_voting(campaigns):
    for campaign in campaigns:
        for rnd in _rounds(campaign):
            voting = rnd["voting"]
            assert 0 < voting["quorum"] <= 1 and 0 < voting["approval"] <= 1, rnd["code"]
            for code, threshold in voting.get("by_award_form", {}).items():
                assert code in {f["code"] for f in rnd["award_form"]}
                assert voting["approval"] <= threshold <= 1


def test_all_text_is_nfc():
    for path in [SEED_DIR / "units.toml", *CAMPAIGN_FILES]:
        text = path.read_text(encoding="utf-8")
        assert unicodedata.is_normalized("NFC", text), path.name  # comments included
        for s in _strings(_load(path)):
            assert unicodedata.is_normalized("NFC", s), f"{path.name}: {s!r}"


# --- facts checked against the seeds (issue 15) -----------------------------------------------------------------

def test_governing_bodies_apart_from_the_reporting_path(unit_by_code):
    # Every Thanh Hóa participant reports to the Sở TT&TT (004 §IV.2), but a UBND cấp huyện and the provincial
    # agencies answer to UBND tỉnh, whose Chủ tịch decides the Bằng khen.
    for code, unit in unit_by_code.items():
        if unit["kind"] == "people_committee" and unit["level"] == "district":
            assert unit["parent"] == "so-tttt-thanh-hoa" and unit["governing"] == "ubnd-thanh-hoa", code
            assert unit["header_parent"] == "", code  # NĐ 30/2020: a UBND's header is its own name
    for code in ("so-tttt-thanh-hoa", "vp-ubnd-thanh-hoa", "so-noi-vu-thanh-hoa"):
        assert unit_by_code[code]["governing"] == "ubnd-thanh-hoa"
    for unit in unit_by_code.values():
        assert unit.get("governing", "") in ("", *unit_by_code), unit["code"]
        assert unit["head_title"], unit["code"]


def test_complete_unit_lists(unit_by_code, campaigns):
    by_code = {c["code"]: c for c in campaigns}
    # Đà Nẵng's seven district procuracies (Hoàng Sa has none), all taking part in both rounds of seed 002.
    dn = {c for c, u in unit_by_code.items() if u["parent"] == "vks-da-nang" and u["kind"] == "procuracy"}
    assert dn == {"vks-dn-hai-chau", "vks-dn-thanh-khe", "vks-dn-son-tra", "vks-dn-ngu-hanh-son",
                  "vks-dn-lien-chieu", "vks-dn-cam-le", "vks-dn-hoa-vang"}
    for code in ("dn-cds-so-ket-2024", "dn-cds-tong-ket-2025"):
        assert dn <= set(by_code[code]["participants"])
    # Thanh Hóa's 27 district-level units of 2024, each a participant of seed 004.
    th = {c for c, u in unit_by_code.items() if u["kind"] == "people_committee" and u["level"] == "district"}
    assert len(th) == 27 and {"ubnd-tp-sam-son", "ubnd-tx-nghi-son", "ubnd-muong-lat"} <= th
    assert th <= set(by_code["th-cds-2024"]["participants"])


def test_the_receiving_contact_and_the_deadlines_as_the_seeds_word_them(campaigns):
    by_code = {c["code"]: c for c in campaigns}
    th = by_code["th-cds-2024"]
    assert (th["receiving_phone"], th["receiving_email"]) == ("0915 351 008", "hungtm.stttt@thanhhoa.gov.vn")
    assert th["deadline_text"] == "trước ngày 20/9/2024"
    assert by_code["dn-cds-so-ket-2024"]["deadline_text"] == "trước ngày 30/8/2024"
    assert by_code["dn-cds-tong-ket-2025"]["deadline_text"] == "trước ngày 30/8/2025"
    assert by_code["qb-1532-2024"]["deadline_text"] == "là ngày 23/8/2024"
    [plan] = by_code["vkstc-dmst-2025-2027"]["milestone"]  # 001 §V.1: the units' own plans in quý III/2025
    assert plan["due"] == dt.date(2025, 9, 30) and plan["due_text"] == "trong quý III năm 2025"


def test_two_originals_only_for_what_seed_004_says(campaigns):
    th = next(c for c in campaigns if c["code"] == "th-cds-2024")
    originals = {d["code"]: d["originals"] for d in th["dossier_document"]}
    assert originals == {"to_trinh": 1, "danh_sach": 1, "bien_ban": 1, "bao_cao_thanh_tich": 2, "bao_cao_tom_tat": 2}
    assert th["report_form"] == "nd98_thematic"  # "theo Mẫu số 08 … Nghị định số 98/2023/NĐ-CP"


def test_an_ad_hoc_round_needs_no_deadline():
    from processes import campaign_definition
    definition = {"code": "vkstc-dot-xuat", "name": "Khen thưởng đột xuất", "issuer": "vkstc", "round": "dot_xuat",
                  "receiving_unit": "vkstc", "participants": ["vks-da-nang"],
                  "award_form": [{"code": "bang_khen_vkstc", "name": "Bằng khen của Viện trưởng VKSND tối cao",
                                  "authority": "Viện trưởng VKSND tối cao", "dossier_level": "supreme",
                                  "for_kinds": ["collective", "individual"]}]}
    assert campaign_definition.schema_errors(definition) == {}
    assert campaign_definition.ROUND_LABELS["dot_xuat"] == "Khen thưởng đột xuất"
