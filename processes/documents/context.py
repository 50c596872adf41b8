"""What a document says, built from (case data, campaign, unit) — never from a case row — so a unit's nomination
and the receiving level's consolidation render alike. Dates come out the way Nghị định 30/2020/NĐ-CP writes them."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from ..award_forms import award_name
from ..clock import format_any_date, parse_any_date

KIND_TITLES = {"collective": "Tập thể", "individual": "Cá nhân"}
LAW = "Luật Thi đua, khen thưởng ngày 15 tháng 6 năm 2022"
DECREES = {
    "nd98_2023": "Nghị định số 98/2023/NĐ-CP ngày 31 tháng 12 năm 2023 của Chính phủ quy định chi tiết thi hành "
                 "một số điều của Luật Thi đua, khen thưởng",
    "nd152_2025": "Nghị định số 152/2025/NĐ-CP của Chính phủ quy định chi tiết thi hành một số điều của Luật Thi đua, "
                  "khen thưởng",
}


# Dates in case data are ISO strings, typed ones dd/mm/yyyy: read and written as everywhere else.
parse_date, dmy = parse_any_date, format_any_date


def long_date(value) -> str:
    """"ngày 05 tháng 02 năm 2025" / "ngày 15 tháng 8 năm 2024": NĐ 30/2020 pads days below 10 and months below 3."""
    day = parse_date(value)
    if day is None:
        return "ngày … tháng … năm …"
    d = f"{day.day:02d}" if day.day < 10 else str(day.day)
    m = f"{day.month:02d}" if day.month < 3 else str(day.month)
    return f"ngày {d} tháng {m} năm {day.year}"


def lines(text: str | None) -> list[str]:
    return [part.strip() for part in str(text or "").splitlines() if part.strip()]


def percent(part: int, whole: int) -> str:
    if not whole:
        return "—"
    value = f"{part * 100 / whole:.2f}".rstrip("0").rstrip(".")
    return value.replace(".", ",") + "%"


@dataclass
class Issuer:
    """The issuing unit and its parent (cơ quan chủ quản), as the header's left column shows them."""
    name: str
    parent: str = ""
    place: str = ""
    short: str = ""

    @classmethod
    def of(cls, unit) -> "Issuer":
        if unit is None:
            return cls(name="")
        parent = unit.parent.name if unit.parent is not None else ""
        return cls(name=unit.name, parent=parent, place=unit.place or "", short=unit.short_name or unit.name)


@dataclass
class Nominee:
    index: int
    kind: str
    name: str
    position: str
    birth_date: str
    award_form: str
    award: str
    title: str
    summary: str
    report: dict
    unit_name: str = ""
    history: list = field(default_factory=list)

    @property
    def kind_title(self) -> str:
        return KIND_TITLES.get(self.kind, "")


def nominees_of(data: dict) -> list[Nominee]:
    out = []
    for i, row in enumerate(data.get("nominees") or []):
        out.append(Nominee(
            index=i, kind=row.get("kind") or "individual", name=str(row.get("name") or ""),
            position=str(row.get("position") or ""), birth_date=dmy(row.get("birth_date")),
            award_form=row.get("award_form") or "", award=award_name(row.get("award_form") or ""),
            title=str(row.get("achievement_title") or ""), summary=str(row.get("achievement_summary") or ""),
            report=dict(row.get("report") or {}), unit_name=str(row.get("unit") or "")))
    return out


def legal_set(campaign) -> str:
    """The template set of the campaign's legal basis: explicit `document_templates`, else the decree its dossier
    templates cite, else by date (Nghị định 152/2025/NĐ-CP applies from 01/7/2025)."""
    details = (campaign.details or {}) if campaign is not None else {}
    explicit = details.get("document_templates")
    if explicit in DECREES:
        return explicit
    cited = " ".join([str(d.get("template", "")) for d in details.get("dossier_document") or []]
                     + [str(x) for x in details.get("legal_basis") or []])
    if "152/2025" in cited:
        return "nd152_2025"
    if "98/2023" in cited:
        return "nd98_2023"
    when = (getattr(campaign, "document_date", None) or getattr(campaign, "deadline", None)
            or parse_date(details.get("document_date")))
    if when and when >= dt.date(2025, 7, 1):
        return "nd152_2025"
    return "nd98_2023"


def template_label(campaign, code: str) -> str:
    for doc in (campaign.details or {}).get("dossier_document") or [] if campaign is not None else []:
        if doc.get("code") == code and doc.get("template"):
            return str(doc["template"])
    return ""


def build(data: dict, campaign, unit, *, recipient=None, history=None) -> dict:
    """Everything the templates read. `history(nominee_row) → [award rows]` fills "awards already received"."""
    data = data or {}
    details = (campaign.details or {}) if campaign is not None else {}
    nominees = nominees_of(data)
    if history is not None:
        raw = data.get("nominees") or []
        for n in nominees:
            n.history = history(raw[n.index])
    recipient = recipient or (campaign.receiving_unit if campaign is not None else None)
    if recipient is not None and unit is not None and recipient.id == unit.id and unit.parent is not None:
        recipient = unit.parent  # a receiving level's own dossier goes one level up
    collectives = [n for n in nominees if n.kind == "collective"]
    individuals = [n for n in nominees if n.kind != "collective"]
    awards_in_use = sorted({n.award for n in nominees if n.award})
    legal = legal_set(campaign)
    return {
        "data": data, "campaign": campaign, "details": details, "legal_set": legal,
        "law": LAW, "decree": DECREES[legal],
        "issuer": Issuer.of(unit), "unit": unit, "recipient": Issuer.of(recipient) if recipient is not None else None,
        "receiving_office": details.get("receiving_office", ""),
        "nominees": nominees, "collectives": collectives, "individuals": individuals, "awards": awards_in_use,
        "campaign_name": campaign.name if campaign is not None else "",
        "campaign_document": campaign.document_number if campaign is not None else "",
        "campaign_document_date": dmy(campaign.document_date) if campaign is not None else "",
        "campaign_issuer": campaign.issuer.name if campaign is not None and campaign.issuer is not None else "",
        "template_label": lambda code: template_label(campaign, code),
    }
