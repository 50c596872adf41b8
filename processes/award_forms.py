"""Award forms (hình thức khen thưởng) and the level a dossier for each must reach.

The campaign issue refines this per campaign; this catalogue is the law's default and what diagrams' scripts use.
"""
from __future__ import annotations

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


def award_name(code: str) -> str:
    return AWARD_FORMS.get(code, (code, ""))[0]


def dossier_level(nominees, levels: dict | None = None) -> str:
    """'supreme' when any nominee's award form is decided at the top level, else 'provincial'. `levels` (award form
    code → level, from the campaign's [[award_form]] tables) wins over this catalogue's default."""
    for nominee in nominees or []:
        code = nominee.get("award_form")
        level = (levels or {}).get(code) or AWARD_FORMS.get(code, ("", "provincial"))[1]
        if level == "supreme":
            return "supreme"
    return "provincial"


def campaign_levels(details: dict) -> dict[str, str]:
    """The level each of a campaign's award forms must reach, as its file states."""
    return {form["code"]: form["dossier_level"] for form in (details or {}).get("award_form", [])
            if form.get("code") and form.get("dossier_level")}


def selected_nominees(candidates) -> list[dict]:
    """The candidates a receiving level's council ticked, as the consolidated dossier's nominees."""
    keep = ("case_id", "unit", "kind", "name", "position", "award_form", "achievement_summary", "votes_for")
    return [{k: c[k] for k in keep if k in c} for c in candidates or [] if c.get("selected")]
