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


def dossier_level(nominees) -> str:
    """'supreme' when any nominee's award form is decided at the top level, else 'provincial'."""
    for nominee in nominees or []:
        if AWARD_FORMS.get(nominee.get("award_form"), ("", "provincial"))[1] == "supreme":
            return "supreme"
    return "provincial"
