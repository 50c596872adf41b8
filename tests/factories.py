"""Nominee data the tests share: the achievement report every nominee now needs, as JSON and as posted form fields."""
from __future__ import annotations

REPORT = {
    "result": "Xây dựng và đưa vào sử dụng phần mềm quản lý, theo dõi án hình sự trên môi trường mạng.",
    "in_use_since": "2024-01-15",
    "problem_solved": "Khắc phục việc theo dõi thời hạn tố tụng thủ công, dễ sót hạn.",
    "effect": "Giảm 30% thời gian tra cứu hồ sơ, không để xảy ra án quá hạn trong năm 2024.",
    "resources": "Kinh phí 120 triệu đồng; 03 cán bộ CNTT; 02 máy chủ.",
}


def achievement_of(name: str) -> str:
    return f"Chuyển đổi số trong công tác kiểm sát của {name}"


def reported(nominee: dict) -> dict:
    """A nominee (JSON) with its achievement title and report."""
    return {"achievement_title": achievement_of(nominee["name"]), "report": dict(REPORT), **nominee}


def report_fields(index: int, name: str, prefix: str = "nominees") -> dict:
    """The same as posted form fields for row `index`."""
    fields = {f"{prefix}.{index}.achievement_title": achievement_of(name)}
    for key, value in REPORT.items():
        if key == "in_use_since":
            y, m, d = value.split("-")
            value = f"{d}/{m}/{y}"
        fields[f"{prefix}.{index}.report.{key}"] = value
    return fields


def with_reports(form: dict, prefix: str = "nominees") -> dict:
    """Posted nominee rows (nominees.N.name …) with each row's title and report added."""
    out = dict(form)
    for key, value in form.items():
        parts = key.split(".")
        if len(parts) == 3 and parts[0] == prefix and parts[2] == "name":
            out = {**report_fields(int(parts[1]), value, prefix), **out}
    return out
