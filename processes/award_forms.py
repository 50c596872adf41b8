"""Award forms (hình thức khen thưởng) and the level a dossier for each must reach.

The campaign issue refines this per campaign; this catalogue is the law's default and what diagrams' scripts use.
"""
from __future__ import annotations

from .contracts import LEVEL_OWN, LEVEL_PROVINCIAL, LEVEL_SUPREME, DataKey

AWARD_FORMS: dict[str, tuple[str, str]] = {
    # code: (name, level the dossier must reach)
    "bang_khen_vkstc": ("Bằng khen của Viện trưởng VKSND tối cao", "supreme"),
    "giay_khen_thu_truong": ("Giấy khen của Thủ trưởng đơn vị", "provincial"),
    "co_thi_dua_nganh": ("Cờ thi đua của ngành Kiểm sát nhân dân", "supreme"),
    "bang_khen_ttg": ("Bằng khen của Thủ tướng Chính phủ", "supreme"),
    "co_thi_dua_cp": ("Cờ thi đua của Chính phủ", "supreme"),
    "huan_chuong_ld": ("Huân chương Lao động", "supreme"),
    "bang_khen_ubnd_tinh": ("Bằng khen của Chủ tịch UBND tỉnh", "provincial"),
    "giay_khen_ubnd_huyen": ("Giấy khen của Chủ tịch UBND cấp huyện, cấp xã", "provincial"),
}


# Who decides an award form, hence under whose header its decision and certificate are issued: "own" — the head of
# the unit that proposes it (a Giấy khen: 001 §III.2.1 "Giấy khen của Thủ trưởng đơn vị có tư cách pháp nhân",
# 004 §III.4.b "Do Chủ tịch Ủy ban nhân dân cấp huyện, … xem xét quyết định"); "top" — the head of the top of
# the unit's governing chain (Viện trưởng VKSND tối cao, Chủ tịch UBND tỉnh), or the State above it (Chủ tịch
# nước, Thủ tướng) on the top's proposal.
DECIDED_BY: dict[str, str] = {
    "giay_khen_thu_truong": "own",
    "giay_khen_ubnd_huyen": "own",
}


def award_name(code: str) -> str:
    return AWARD_FORMS.get(code, (code, ""))[0]


def campaign_award_form(details: dict | None, code: str) -> dict:
    """The campaign file's own [[award_form]] table for `code` (its main round, then its related rounds); {} when
    the campaign does not name it."""
    details = details or {}
    for form in details.get("award_form") or []:
        if form.get("code") == code:
            return form
    for related in details.get("related_round") or []:
        for form in related.get("award_form") or []:
            if form.get("code") == code:
                return form
    return {}


def campaign_award_name(details: dict | None, code: str) -> str:
    """The award form as the campaign words it ("Giấy khen của Thủ trưởng đơn vị có tư cách pháp nhân"), else the
    catalogue's name: documents print the campaign's own wording."""
    return str(campaign_award_form(details, code).get("name") or award_name(code))


def decided_by(code: str) -> str:
    """"own" when the proposing unit's head decides the award form, else "top" (see DECIDED_BY)."""
    return DECIDED_BY.get(code, "top")


def decided_at_unit(code: str, levels: dict | None = None) -> bool:
    """Whether the proposing unit's own head decides award form `code` in this campaign: its file's level
    (`dossier_level = "own"`: VKSTC 2025–2030's Giấy khen of the unit, Thanh Hóa's Giấy khen of a Chủ tịch UBND
    huyện/xã) when it names one — so a round where another body gives the unit's Giấy khen (Đà Nẵng: "Giấy khen của
    Viện trưởng VKSND thành phố Đà Nẵng", `provincial`) goes up —, else the catalogue's DECIDED_BY."""
    level = (levels or {}).get(code)
    return level == LEVEL_OWN if level else decided_by(code) == "own"


def dossier_level(nominees, levels: dict | None = None) -> str:
    """'own' when every nominee is proposed for an award the unit's own head decides (its Giấy khen: the dossier
    stays at the unit, bpmn/nomination.bpmn's own_gateway); else 'supreme' when any nominee's award form is decided
    at the top level, else 'provincial'. `levels` (award form code → level, from the campaign's [[award_form]]
    tables) wins over this catalogue's default."""
    nominees = [n for n in nominees or [] if isinstance(n, dict)]
    if nominees and all(decided_at_unit(n.get("award_form") or "", levels) for n in nominees):
        return LEVEL_OWN
    for nominee in nominees:
        code = nominee.get("award_form")
        level = (levels or {}).get(code) or AWARD_FORMS.get(code, ("", LEVEL_PROVINCIAL))[1]
        if level == LEVEL_SUPREME:
            return LEVEL_SUPREME
    return LEVEL_PROVINCIAL


def own_part(nominees, levels: dict | None = None) -> list[dict]:
    """The nominees the unit's own head decides (its Giấy khen): bpmn/nomination.bpmn's `split_dossier` puts them
    before the head's `unit_decision`, whatever else the dossier holds."""
    return [n for n in nominees or [] if isinstance(n, dict) and decided_at_unit(n.get("award_form") or "", levels)]


def upper_part(nominees, levels: dict | None = None) -> list[dict]:
    """The nominees whose award is decided above the unit: what goes up (tờ trình, danh sách, roll-up, the
    receiving level's decision). The whole dossier when none is the unit's own."""
    return [n for n in nominees or [] if isinstance(n, dict)
            and not decided_at_unit(n.get("award_form") or "", levels)]


def campaign_levels(details: dict) -> dict[str, str]:
    """The level each of a campaign's award forms must reach, as its file states."""
    return {form["code"]: form["dossier_level"] for form in (details or {}).get("award_form", [])
            if form.get("code") and form.get("dossier_level")}


def upward_nominees(data: dict) -> list[dict]:
    """A unit case's nominees as the upward path reads them (its tờ trình and danh sách, the roll-up's candidates,
    the award results it receives): once its head has decided the unit's own Giấy khen of a mixed dossier
    (`unit_decision`, kept by bpmn/nomination.bpmn's keep_unit_decision), every nominee but those; else all of them.
    Read from the nominees as they are now (a return may have changed them since the split)."""
    data = data or {}
    nominees = [n for n in data.get(DataKey.NOMINEES) or [] if isinstance(n, dict)]
    if isinstance(data.get(DataKey.UNIT_DECISION), dict):
        return upper_part(nominees, data.get(DataKey.AWARD_LEVELS))
    return nominees


def selected_nominees(candidates) -> list[dict]:
    """The candidates a receiving level's council ticked, as the consolidated dossier's nominees."""
    keep = ("case_id", "unit", "kind", "name", "position", "award_form", "achievement_summary", "votes_for")
    return [{k: c[k] for k in keep if k in c} for c in candidates or [] if c.get("selected")]
