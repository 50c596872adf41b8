"""Document specs (what each needs from the case data), the Jinja environment and WeasyPrint."""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Callable

from jinja2 import Environment, FileSystemLoader, Undefined, select_autoescape

from ..award_forms import award_name
from . import context as ctx

TEMPLATES = Path(__file__).resolve().parent / "templates"


@dataclass(frozen=True)
class DocumentSpec:
    code: str
    name: str
    needs: Callable[[dict], list[str]]  # data → what is missing to generate it (empty: can be generated)
    per_nominee: bool = False


# The minutes form's vote_method, as the biên bản says it.
VOTE_METHODS = {"secret_ballot": "bỏ phiếu kín", "show_of_hands": "giơ tay biểu quyết"}


def _nominees(data: dict) -> list[str]:
    return [] if data.get("nominees") else ["danh sách tập thể, cá nhân được đề nghị"]


def _fields(data: dict, wanted: dict[str, str]) -> list[str]:
    return [label for key, label in wanted.items() if data.get(key) in (None, "", [])]


def _to_trinh(data: dict) -> list[str]:
    return _nominees(data) + _fields(data, {"submission_number": "số tờ trình", "submission_date": "ngày tờ trình",
                                            "signer_name": "người ký", "signer_title": "chức vụ người ký"})


def _bien_ban(data: dict) -> list[str]:
    return _fields(data, {"meeting_date": "ngày họp", "meeting_place": "địa điểm họp", "chair": "người chủ trì",
                          "secretary_name": "thư ký", "members_total": "tổng số thành viên",
                          "members_present": "số thành viên có mặt", "votes": "kết quả biểu quyết"})


def _reports(data: dict) -> list[str]:
    missing = _nominees(data)
    for row in data.get("nominees") or []:
        report = row.get("report") or {}
        if not all(report.get(k) for k in ("result", "problem_solved", "effect", "resources")):
            missing.append(f"báo cáo thành tích của «{row.get('name', '')}»")
    return missing


def _decision(data: dict) -> list[str]:
    return _fields(data, {"decision_number": "số quyết định", "decision_date": "ngày quyết định",
                          "decision_authority": "cấp quyết định", "awards": "kết quả khen thưởng"})


def _certificates(data: dict) -> list[str]:
    missing = _decision(data)
    if not missing and not any(a.get("awarded") for a in data.get("awards") or []):
        missing.append("trường hợp được khen thưởng")
    return missing


DOCUMENTS: dict[str, DocumentSpec] = {s.code: s for s in (
    DocumentSpec("to_trinh", "Tờ trình đề nghị khen thưởng (kèm danh sách)", _to_trinh),
    DocumentSpec("danh_sach", "Danh sách tập thể, cá nhân được đề nghị khen thưởng", _nominees),
    DocumentSpec("bien_ban", "Biên bản họp Hội đồng Thi đua - Khen thưởng", _bien_ban),
    DocumentSpec("bao_cao_thanh_tich", "Báo cáo thành tích", _reports, per_nominee=True),
    DocumentSpec("bao_cao_tom_tat", "Báo cáo tóm tắt thành tích", _nominees),
    DocumentSpec("quyet_dinh", "Quyết định khen thưởng", _decision),
    DocumentSpec("bang_khen", "Bằng khen / Giấy khen", _certificates, per_nominee=True),
)}


def missing_fields(code: str, data: dict) -> list[str] | None:
    """What the data lacks to generate document `code`; None when no template exists for that code."""
    spec = DOCUMENTS.get(code)
    return None if spec is None else spec.needs(data or {})


def _lines(text) -> list[str]:
    return ctx.lines(text)


@lru_cache(maxsize=1)
def environment() -> Environment:
    env = Environment(loader=FileSystemLoader(str(TEMPLATES)), autoescape=select_autoescape(["html"]),
                      undefined=Undefined,
                      trim_blocks=True, lstrip_blocks=True)
    env.filters.update(dmy=ctx.dmy, long_date=ctx.long_date, lines=_lines,
                       pct=lambda part, whole: ctx.percent(int(part or 0), int(whole or 0)))
    return env


@lru_cache(maxsize=8)
def _set_forms(legal_set: str) -> dict:
    module = environment().get_template(f"{legal_set}/_set.html").module
    return dict(module.forms)


def _vote_rows(data: dict, nominees) -> list[dict]:
    awards = {n.name.strip().casefold(): n.award for n in nominees}
    return [{"nominee": v.get("nominee", ""), "votes_for": int(v.get("votes_for") or 0),
             "votes_against": int(v.get("votes_against") or 0),
             "award": awards.get(str(v.get("nominee", "")).strip().casefold(), "")}
            for v in data.get("votes") or []]


def _decided(data: dict, nominees) -> list[dict]:
    by_name = {n.name.strip().casefold(): n for n in nominees}
    out = []
    for a in data.get("awards") or []:
        if not a.get("awarded"):
            continue
        n = by_name.get(str(a.get("nominee", "")).strip().casefold())
        award = award_name(a.get("award_form") or (n.award_form if n else ""))
        kind_word = "Giấy khen" if award.lower().startswith("giấy khen") else (
            "Bằng khen" if award.lower().startswith("bằng khen") else award.split(" của ")[0])
        out.append({"name": a.get("nominee", ""), "kind": n.kind if n else "individual",
                    "position": n.position if n else "", "title": n.title if n else "", "award": award,
                    "kind_word": kind_word})
    return out


def html_for(code: str, data: dict, campaign, unit, *, nominee: int | None = None, recipient=None, decider=None,
             history=None) -> str:
    """The document as HTML. `nominee` narrows a per-nominee document (báo cáo, certificate) to one row."""
    if code not in DOCUMENTS:
        raise KeyError(code)
    c = ctx.build(data, campaign, unit, recipient=recipient, history=history)
    data = c["data"]
    nominees = c["nominees"]
    voting = dict(c["details"].get("voting") or {})
    total, present = int(data.get("members_total") or 0), int(data.get("members_present") or 0)
    decided = _decided(data, nominees)
    if nominee is not None:
        chosen = [n for n in nominees if n.index == nominee]
        names = {n.name for n in chosen}
        decided = [a for a in decided if a["name"] in names]
    else:
        chosen = nominees
    template_name = "to_trinh" if code == "to_trinh" else code
    c.update(
        forms=_set_forms(c["legal_set"]), doc_title=DOCUMENTS[code].name, with_list=(code == "to_trinh"),
        absent=max(total - present, 0), voting=voting, votes=_vote_rows(data, nominees),
        vote_method=(VOTE_METHODS.get(data.get("vote_method")) or voting.get("method")
                     or "biểu quyết (bỏ phiếu) từng trường hợp"),
        default_conclusion=("Hội đồng thống nhất đề nghị khen thưởng các tập thể, cá nhân đạt tỷ lệ phiếu đồng ý "
                            "theo quy định như danh sách trên."),
        selected=chosen, report_date=data.get("submission_date") or data.get("meeting_date"),
        decider=ctx.Issuer.of(decider) if decider is not None else c["recipient"] or c["issuer"],
        decided_awards=sorted({a["award"] for a in decided}),
        awarded_collectives=[a for a in decided if a["kind"] == "collective"],
        awarded_individuals=[a for a in decided if a["kind"] != "collective"],
        certificates=decided,
    )
    env = environment()
    template = env.select_template([f"{c['legal_set']}/{template_name}.html", f"common/{template_name}.html"])
    return template.render(**c)


@lru_cache(maxsize=1)
def _stylesheet():
    from weasyprint import CSS
    return CSS(filename=str(TEMPLATES / "document.css"))


def pdf_for(html: str) -> bytes:
    from weasyprint import HTML  # imported on first use: the web process loads Pango only when it renders
    return HTML(string=html, base_url=str(TEMPLATES)).write_pdf(stylesheets=[_stylesheet()])


def render(code: str, data: dict, campaign, unit, **kw) -> bytes:
    return pdf_for(html_for(code, data, campaign, unit, **kw))
