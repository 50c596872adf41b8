"""What a document says, built from (case data, campaign, unit) — never from a case row — so a unit's nomination
and the receiving level's consolidation render alike. Dates and numbers come out the way Nghị định 30/2020/NĐ-CP
writes them; who issues, who decides and which decree applies follow the unit tree and the document's date."""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

from ..award_forms import AWARD_FORMS, campaign_award_form, campaign_award_name, campaign_levels, decided_at_unit
from ..clock import format_any_date, parse_any_date

KIND_TITLES = {"collective": "Tập thể", "individual": "Cá nhân"}
LAW = "Luật Thi đua, khen thưởng ngày 15 tháng 6 năm 2022"
# The decree in force on a document's date: Nghị định 98/2023/NĐ-CP until 30/6/2025, Nghị định 152/2025/NĐ-CP
# (ngày 14/6/2025, hiệu lực từ 01/7/2025) from 01/7/2025.
ND152_FROM = dt.date(2025, 7, 1)
DECREES = {
    "nd98_2023": "Nghị định số 98/2023/NĐ-CP ngày 31 tháng 12 năm 2023 của Chính phủ quy định chi tiết thi hành "
                 "một số điều của Luật Thi đua, khen thưởng",
    "nd152_2025": "Nghị định số 152/2025/NĐ-CP ngày 14 tháng 6 năm 2025 của Chính phủ quy định chi tiết một số "
                  "điều của Luật Thi đua, khen thưởng",
}

# The law that gives a deciding body its competence, cited first in its Quyết định — by the kind of body and the
# decision's date. Bodies of other kinds cite the Luật Thi đua, khen thưởng alone.
COMPETENCE = {
    "procuracy": [(None, "Luật Tổ chức Viện kiểm sát nhân dân ngày 24 tháng 11 năm 2014")],
    "people_committee": [
        (None, "Luật Tổ chức chính quyền địa phương ngày 19 tháng 6 năm 2015; Luật sửa đổi, bổ sung một số điều "
               "của Luật Tổ chức Chính phủ và Luật Tổ chức chính quyền địa phương ngày 22 tháng 11 năm 2019"),
        (ND152_FROM, "Luật Tổ chức chính quyền địa phương ngày 16 tháng 6 năm 2025"),
    ],
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


def doc_number(value) -> str:
    """"7/TTr-VKS" → "07/TTr-VKS": NĐ 30/2020 writes document numbers below 10 with a leading zero."""
    text = str(value or "").strip()
    match = re.match(r"^(\d+)(/.*)?$", text)
    if match and int(match.group(1)) < 10:
        return f"{int(match.group(1)):02d}{match.group(2) or ''}"
    return text


def symbol_of(number) -> str:
    """The issuing unit's abbreviation in a document number ("15/TTr-VKS" → "VKS"), for its other documents."""
    match = re.match(r"^[^/]*/[^-]*-(.+)$", str(number or "").strip())
    return match.group(1) if match else ""


def lines(text: str | None) -> list[str]:
    return [part.strip() for part in str(text or "").splitlines() if part.strip()]


TITLE_PREFIXES = ("KT.", "TM.", "TL.", "TUQ.", "Q.")


def title_lines(text: str | None) -> list[str]:
    """A signature block's title over its lines: "KT. VIỆN TRƯỞNG\\nPHÓ VIỆN TRƯỞNG" as typed, or a one-line
    "KT. Viện trưởng - Phó Viện trưởng" / "KT. Viện trưởng, Phó Viện trưởng" split after its KT./TM./TL. part."""
    parts = lines(text)
    if len(parts) == 1 and parts[0].upper().startswith(TITLE_PREFIXES):
        split = re.split(r"\s+[-–/]\s+|,\s*|;\s*", parts[0], maxsplit=1)
        if len(split) == 2 and split[1].strip():
            return [split[0].strip(), split[1].strip()]
    return parts


def percent(part: int, whole: int) -> str:
    if not whole:
        return "—"
    value = f"{part * 100 / whole:.2f}".rstrip("0").rstrip(".")
    return value.replace(".", ",") + "%"


def count_phrase(collectives: int, individuals: int) -> str:
    """"01 tập thể và 02 cá nhân", "03 cá nhân": a kind with none is left out (never "00 tập thể")."""
    parts = [f"{n:02d} {word}" for n, word in ((collectives, "tập thể"), (individuals, "cá nhân")) if n]
    return " và ".join(parts) or "00 trường hợp"


def lower_first(text: str) -> str:
    return text[:1].lower() + text[1:] if text[:2] != text[:2].upper() else text


@dataclass
class Issuer:
    """A unit as a document's header shows it: its name, the line above it (its governing body, or what Nghị định
    30/2020 prints there), its place name, and how its head is called."""
    name: str
    parent: str = ""
    place: str = ""
    short: str = ""
    head_title: str = ""
    kind: str = ""

    @classmethod
    def of(cls, unit) -> "Issuer":
        if unit is None:
            return cls(name="")
        return cls(name=unit.name, parent=unit.header_parent_name, place=unit.place or "",
                   short=unit.short_name or unit.name, head_title=head_title_of(unit), kind=unit.kind or "")

    @property
    def head(self) -> str:
        """"Chủ tịch Ủy ban nhân dân tỉnh Thanh Hóa", "Viện trưởng Viện kiểm sát nhân dân tối cao"."""
        return f"{self.head_title} {self.name}".strip()


HEAD_BY_KIND = {"procuracy": "Viện trưởng", "people_committee": "Chủ tịch", "state_agency": "Giám đốc",
                "procuracy_department": "Trưởng phòng", "press": "Tổng Biên tập", "party_union": "Bí thư",
                "enterprise": "Giám đốc"}


def head_title_of(unit) -> str:
    return (getattr(unit, "head_title", "") or HEAD_BY_KIND.get(unit.kind or "", "")) if unit is not None else ""


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


def nominees_of(data: dict, details: dict | None = None) -> list[Nominee]:
    out = []
    for i, row in enumerate(data.get("nominees") or []):
        code = row.get("award_form") or ""
        out.append(Nominee(
            index=i, kind=row.get("kind") or "individual", name=str(row.get("name") or ""),
            position=str(row.get("position") or ""), birth_date=dmy(row.get("birth_date")),
            award_form=code, award=campaign_award_name(details, code),
            title=str(row.get("achievement_title") or ""), summary=str(row.get("achievement_summary") or ""),
            report=dict(row.get("report") or {}), unit_name=str(row.get("unit") or "")))
    return out


def legal_set(campaign, when=None) -> str:
    """The template set of a document: the one the campaign names (`document_templates`), else the decree in
    force on the document's date `when` (Nghị định 152/2025/NĐ-CP from 01/7/2025), else on the campaign's own
    date."""
    details = (campaign.details or {}) if campaign is not None else {}
    explicit = details.get("document_templates")
    if explicit in DECREES:
        return explicit
    day = parse_date(when) if when is not None else None
    if day is None and campaign is not None:
        day = (campaign.document_date or parse_date(details.get("document_date"))
               or (dt.date(int(details["document_year"]), 12, 31) if details.get("document_year") else None)
               or campaign.deadline)
    return "nd152_2025" if day and day >= ND152_FROM else "nd98_2023"


def competence(unit, when) -> list[str]:
    """The deciding body's competence, as its Quyết định cites it first."""
    day = parse_date(when) or dt.date.today()
    chosen = None
    for since, text in COMPETENCE.get(getattr(unit, "kind", "") or "", []):
        if since is None or day >= since:
            chosen = text
    return [part.strip() for part in chosen.split(";")] if chosen else []


def template_label(campaign, code: str) -> str:
    for doc in (campaign.details or {}).get("dossier_document") or [] if campaign is not None else []:
        if doc.get("code") == code and doc.get("template"):
            return str(doc["template"])
    return ""


def level_of(details: dict, code: str) -> str:
    return campaign_levels(details).get(code) or campaign_award_form(details, code).get("dossier_level") \
        or AWARD_FORMS.get(code, ("", "provincial"))[1]


def own_award(details: dict, code: str) -> bool:
    """Whether the proposing unit's own head decides `code` in this campaign (award_forms.decided_at_unit, with the
    level the campaign file — or one of its related rounds — names)."""
    named = campaign_levels(details).get(code) or campaign_award_form(details, code).get("dossier_level")
    return decided_at_unit(code, {code: named} if named else None)


def deciding_unit(unit, campaign, data: dict):
    """Who decides the awards of this dossier, hence whose header its Quyết định and certificates carry: the unit's
    own head for a Giấy khen of the unit; the top of its governing chain (Viện trưởng VKSND tối cao, Chủ tịch UBND
    tỉnh) for a form decided at the top; else the campaign's receiving level."""
    details = (campaign.details or {}) if campaign is not None else {}
    forms = [a.get("award_form") for a in data.get("awards") or [] if a.get("awarded")] \
        or [n.get("award_form") for n in data.get("nominees") or []]
    forms = [f for f in forms if f]
    if unit is not None and forms and all(own_award(details, f) for f in forms):
        return unit
    if unit is not None and any(level_of(details, f) == "supreme" for f in forms):
        return unit.governing_chain()[-1]
    receiving = campaign.receiving_unit if campaign is not None else None
    return receiving or unit


def form_defaults(case) -> dict:
    """What a task's form may open with where the case holds nothing yet (`x-defaultFrom` in forms/): the deciding
    body's head title as the decision's signer ("Viện trưởng", "Chủ tịch")."""
    decider = deciding_unit(case.unit, case.campaign, case.data or {})
    return {"decider_head_title": head_title_of(decider)}


def campaign_title(campaign) -> str:
    """The round's proper title, as its document words it (never the internal name with its "— tỉnh …")."""
    if campaign is None:
        return ""
    details = campaign.details or {}
    return str(details.get("title") or details.get("movement_name") or campaign.name)


def achievement_in(campaign) -> str:
    """"đã có thành tích xuất sắc trong …" — what the achievements were in."""
    if campaign is None:
        return ""
    details = campaign.details or {}
    return str(details.get("achievement_in") or lower_first(campaign_title(campaign)))


def campaign_reference(campaign) -> str:
    """The campaign's document as a later document cites it: "Công văn số 1532/VKSQB-TĐ ngày 15/8/2024 của Viện
    kiểm sát nhân dân tỉnh Quảng Bình về việc hướng dẫn, …"; a number the document leaves blank stays blank."""
    if campaign is None:
        return ""
    details = campaign.details or {}
    kind = details.get("document_kind") or "Văn bản"
    number = campaign.document_number or (f"…/{details['document_symbol']}" if details.get("document_symbol") else "")
    text = kind + (f" số {number}" if number else "")
    if campaign.document_date:
        text += f" ngày {dmy(campaign.document_date)}"
    elif details.get("document_year"):
        text += f" năm {details['document_year']}"
    if campaign.issuer is not None:
        text += f" của {campaign.issuer.name}"
    subject = str(details.get("subject") or "").strip()
    if subject.lower().startswith("v/v "):
        text += f" về việc {subject[4:].strip()}"
    elif subject:
        text += f" về {lower_first(subject)}"
    return text


def build(data: dict, campaign, unit, *, recipient=None, history=None, decider=None, when=None,
          nominee: int | None = None) -> dict:
    """Everything the templates read. `history(nominee_row) → [award rows]` fills "awards already received" (of
    nominee `nominee` only, when the document is one nominee's); `when` is the document's own date (its decree
    follows it)."""
    data = data or {}
    details = (campaign.details or {}) if campaign is not None else {}
    nominees = nominees_of(data, details)
    if history is not None:
        raw = data.get("nominees") or []
        for n in nominees:
            if nominee is None or n.index == nominee:
                n.history = history(raw[n.index])
    recipient = recipient or (campaign.receiving_unit if campaign is not None else None)
    if recipient is not None and unit is not None and recipient.id == unit.id:
        recipient = unit.governing_body  # a receiving level's own dossier goes to the body it answers to
    decider = decider if decider is not None else deciding_unit(unit, campaign, data)
    own = unit is not None and decider is not None and decider.id == unit.id
    if own:
        recipient = unit  # the unit's own award: its council proposes to its own head
    collectives = [n for n in nominees if n.kind == "collective"]
    individuals = [n for n in nominees if n.kind != "collective"]
    awards_in_use = sorted({n.award for n in nominees if n.award})
    legal = legal_set(campaign, when)
    decider_issuer = Issuer.of(decider)
    recipient_issuer = Issuer.of(recipient) if recipient is not None else None
    return {
        "data": data, "campaign": campaign, "details": details, "legal_set": legal,
        "law": LAW, "decree": DECREES[legal],
        "issuer": Issuer.of(unit), "unit": unit, "recipient": recipient_issuer,
        "decider": decider_issuer, "decider_unit": decider,
        # The recipient decides (a "kính trình … quyết định") only when it is the deciding body itself; a level that
        # gathers the dossiers (Sở TT&TT, VKSND tỉnh) is asked to consider and put it forward.
        "recipient_decides": recipient is not None and decider is not None and recipient.id == decider.id,
        "own_award": own,
        "final_authority": authority_of(details, nominees, decider_issuer),
        "receiving_office": details.get("receiving_office", "") if recipient is not None and campaign is not None
        and campaign.receiving_unit is not None and recipient.id == campaign.receiving_unit.id else "",
        "nominees": nominees, "collectives": collectives, "individuals": individuals, "awards": awards_in_use,
        "campaign_title": campaign_title(campaign), "achievement_in": achievement_in(campaign),
        "campaign_reference": campaign_reference(campaign),
        "template_label": lambda code: template_label(campaign, code),
        "count_phrase": count_phrase,
    }


def authority_of(details: dict, nominees: list[Nominee], decider: Issuer) -> str:
    """Who the dossier asks to decide, as the campaign words it ("Chủ tịch UBND tỉnh Thanh Hóa"), else the deciding
    body's head."""
    for n in nominees:
        if not own_award(details, n.award_form):
            authority = campaign_award_form(details, n.award_form).get("authority")
            if authority:
                return str(authority)
    return decider.head


# What an achievement report says, by the campaign's file: seed 000 lists five points the report must state
# ([[dossier_document]] must_state); otherwise the decree's form asks for the achievements (its other parts —
# background, earlier awards — are filled when known).
STATED_POINTS = ("result", "in_use_since", "problem_solved", "effect", "resources")


def report_fields(details: dict | None) -> tuple[str, ...]:
    """The report keys a nominee's achievement report must fill for this campaign."""
    for doc in (details or {}).get("dossier_document") or []:
        if doc.get("code") == "bao_cao_thanh_tich" and doc.get("must_state"):
            return STATED_POINTS
    return ("result",)


def report_form(campaign) -> str:
    """Which achievement report the campaign asks for: "thematic" — the decree's form for an award by đợt or
    chuyên đề (seed 004: "Mẫu số 08 … Nghị định số 98/2023/NĐ-CP"), or "by_kind" — the forms for a collective and
    for an individual (NĐ 98/2023: Mẫu số 02, 03). The campaign file names it (`report_form`); without it, a
    round of kind "chuyen_de" asks for the thematic one."""
    details = (campaign.details or {}) if campaign is not None else {}
    named = str(details.get("report_form") or "")
    if named:
        return "thematic" if named.endswith("thematic") else "by_kind"
    return "thematic" if details.get("round") == "chuyen_de" else "by_kind"


def report_certified(campaign) -> bool:
    """The report carries the submitting level's confirmation (004 §IV.1 "có xác nhận của cấp trình khen thưởng")."""
    details = (campaign.details or {}) if campaign is not None else {}
    return any(d.get("code") == "bao_cao_thanh_tich" and d.get("certified_by_submitter")
               for d in details.get("dossier_document") or [])
