"""Document specs (what each needs from the case data), the Jinja environment and WeasyPrint."""
from __future__ import annotations

import io
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Callable

from jinja2 import Environment, FileSystemLoader, Undefined, select_autoescape

from ..award_forms import campaign_award_name
from . import cache, parallel
from . import context as ctx

TEMPLATES = Path(__file__).resolve().parent / "templates"


@dataclass(frozen=True)
class DocumentSpec:
    code: str
    name: str
    needs: Callable[..., list[str]]  # (data, campaign details) → what is missing to generate it (empty: it can be)
    per_nominee: bool = False


# The minutes form's vote_method, as the biên bản says it.
VOTE_METHODS = {"secret_ballot": "bỏ phiếu kín", "show_of_hands": "giơ tay biểu quyết"}


def _nominees(data: dict, details: dict | None = None) -> list[str]:
    return [] if data.get("nominees") else ["danh sách tập thể, cá nhân được đề nghị"]


def _fields(data: dict, wanted: dict[str, str]) -> list[str]:
    return [label for key, label in wanted.items() if data.get(key) in (None, "", [])]


def _to_trinh(data: dict, details: dict | None = None) -> list[str]:
    return _nominees(data) + _fields(data, {"submission_number": "số tờ trình", "submission_date": "ngày tờ trình",
                                            "signer_name": "người ký", "signer_title": "chức vụ người ký"})


def _bien_ban(data: dict, details: dict | None = None) -> list[str]:
    """The unit's minutes name their chair, secretary and each vote; a receiving level's council (the
    consolidation's selection step) records its votes beside the candidates it chose, without those names."""
    wanted = {"meeting_date": "ngày họp", "meeting_place": "địa điểm họp", "members_total": "tổng số thành viên",
              "members_present": "số thành viên có mặt"}
    if not data.get("candidates"):
        wanted.update(chair="người chủ trì", secretary_name="thư ký", votes="kết quả biểu quyết")
    return _fields(data, wanted)


def _reports(data: dict, details: dict) -> list[str]:
    missing = _nominees(data)
    wanted = ctx.report_fields(details)
    for row in data.get("nominees") or []:
        report = row.get("report") or {}
        if not all(report.get(k) for k in wanted):
            missing.append(f"báo cáo thành tích của «{row.get('name', '')}»")
    return missing


def _decision(data: dict, details: dict | None = None) -> list[str]:
    return _fields(data, {"decision_number": "số quyết định", "decision_date": "ngày quyết định",
                          "decision_authority": "cấp quyết định", "awards": "kết quả khen thưởng"})


def _certificates(data: dict, details: dict | None = None) -> list[str]:
    missing = _decision(data, details)
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


def missing_fields(code: str, data: dict, campaign=None) -> list[str] | None:
    """What the data lacks to generate document `code` for `campaign`; None when no template exists for that code."""
    spec = DOCUMENTS.get(code)
    details = (campaign.details or {}) if campaign is not None else {}
    return None if spec is None else spec.needs(data or {}, details)


def _lines(text) -> list[str]:
    return ctx.lines(text)


@lru_cache(maxsize=1)
def environment() -> Environment:
    env = Environment(loader=FileSystemLoader(str(TEMPLATES)), autoescape=select_autoescape(["html"]),
                      undefined=Undefined,
                      trim_blocks=True, lstrip_blocks=True)
    env.filters.update(dmy=ctx.dmy, long_date=ctx.long_date, lines=_lines, title_lines=ctx.title_lines,
                       number=ctx.doc_number,
                       pct=lambda part, whole: ctx.percent(int(part or 0), int(whole or 0)))
    return env


@lru_cache(maxsize=8)
def _set_forms(legal_set: str) -> dict:
    module = environment().get_template(f"{legal_set}/_set.html").module
    return dict(module.forms)


def _vote_rows(data: dict, nominees) -> list[dict]:
    """The votes per nominee: the unit's minutes list them; a receiving level's council gives them beside the
    candidates it chose (only the chosen ones go into its minutes' table)."""
    awards = {n.name.strip().casefold(): n.award for n in nominees}
    if data.get("votes"):
        rows = data["votes"]
    else:
        rows = [{"nominee": c.get("name", ""), "votes_for": c.get("votes_for"), "unit": c.get("unit", "")}
                for c in data.get("candidates") or [] if c.get("selected")]
    return [{"nominee": v.get("nominee", ""), "votes_for": int(v.get("votes_for") or 0),
             "votes_against": int(v["votes_against"]) if v.get("votes_against") not in (None, "") else None,
             "unit": v.get("unit", ""),
             "award": awards.get(str(v.get("nominee", "")).strip().casefold(), "")}
            for v in rows]


KIND_WORDS = ("Giấy khen", "Bằng khen", "Cờ thi đua", "Huân chương")


def _kind_word(award: str) -> str:
    for word in KIND_WORDS:
        if award.lower().startswith(word.lower()):
            return word
    return award.split(" của ")[0]


def _decided(data: dict, nominees, details: dict) -> list[dict]:
    by_name = {n.name.strip().casefold(): n for n in nominees}
    out = []
    for a in data.get("awards") or []:
        if not a.get("awarded"):
            continue
        n = by_name.get(str(a.get("nominee", "")).strip().casefold())
        award = campaign_award_name(details, a.get("award_form") or (n.award_form if n else ""))
        out.append({"name": a.get("nominee", ""), "kind": n.kind if n else "individual",
                    "position": n.position if n else "", "title": n.title if n else "", "award": award,
                    "kind_word": _kind_word(award)})
    return out


# The date each document carries (and so the decree it cites).
DOCUMENT_DATE = {"bien_ban": ("meeting_date",), "quyet_dinh": ("decision_date",), "bang_khen": ("decision_date",)}


def document_date(code: str, data: dict):
    for key in DOCUMENT_DATE.get(code, ("submission_date", "meeting_date")):
        if data.get(key):
            return data[key]
    return None


def register_number(data: dict) -> str:
    """The "Số sổ vàng" a certificate carries: the decision's register number (its number before the symbol)."""
    if data.get("register_number"):
        return str(data["register_number"])
    return str(data.get("decision_number") or "").split("/")[0].strip()


def html_for(code: str, data: dict, campaign, unit, *, nominee: int | None = None, recipient=None, decider=None,
             history=None, proposal: dict | None = None, with_list: bool = True) -> str:
    """The document as HTML. `nominee` narrows a per-nominee document (báo cáo, certificate) to one row.
    `proposal` (number, date, unit) is the tờ trình a decision answers when it is not this case's own (a unit's
    copy of a decision taken on the receiving level's consolidated tờ trình)."""
    if code not in DOCUMENTS:
        raise KeyError(code)
    data = data or {}
    when = document_date(code, data)
    c = ctx.build(data, campaign, unit, recipient=recipient, history=history, decider=decider, when=when,
                  nominee=nominee)
    nominees = c["nominees"]
    details = c["details"]
    voting = dict(details.get("voting") or {})
    total, present = int(data.get("members_total") or 0), int(data.get("members_present") or 0)
    decided = _decided(data, nominees, details)
    if nominee is not None:
        chosen = [n for n in nominees if n.index == nominee]
        names = {n.name for n in chosen}
        decided = [a for a in decided if a["name"] in names]
    else:
        chosen = nominees
    proposal = proposal or {"number": data.get("submission_number"), "date": data.get("submission_date"),
                            "issuer": c["issuer"]}
    template_name = "to_trinh" if code == "to_trinh" else code
    decider_issuer = c["decider"]
    c.update(
        forms=_set_forms(c["legal_set"]), doc_title=DOCUMENTS[code].name,
        with_list=(code == "to_trinh" and with_list),
        absent=max(total - present, 0), voting=voting, votes=_vote_rows(data, nominees),
        vote_method=(VOTE_METHODS.get(data.get("vote_method")) or voting.get("method")
                     or "biểu quyết (bỏ phiếu) từng trường hợp"),
        default_conclusion=("Hội đồng thống nhất đề nghị khen thưởng các tập thể, cá nhân có tên trong bảng trên."),
        selected=chosen, report_date=data.get("submission_date") or data.get("meeting_date"),
        document_date=when, minutes_symbol=ctx.symbol_of(data.get("submission_number")),
        decided_awards=sorted({a["award"] for a in decided}),
        decided_kinds=sorted({a["kind_word"] for a in decided}),
        awarded_collectives=[a for a in decided if a["kind"] == "collective"],
        awarded_individuals=[a for a in decided if a["kind"] != "collective"],
        certificates=decided, register_number=register_number(data), proposal=proposal,
        decision_authority=str(data.get("decision_authority") or decider_issuer.head),
        decision_signer_title=data.get("decision_signer_title") or decider_issuer.head_title,
        decision_bases=[f"Căn cứ {text}" for text in
                        [*ctx.competence(c["decider_unit"], when), c["law"], c["decree"]]],
        report_fields=ctx.report_fields(details), report_form=ctx.report_form(campaign),
        report_certified=ctx.report_certified(campaign),
    )
    env = environment()
    template = env.select_template([f"{c['legal_set']}/{template_name}.html", f"common/{template_name}.html"])
    return template.render(**c)


@lru_cache(maxsize=1)
def _stylesheet():
    from weasyprint import CSS
    return CSS(filename=str(TEMPLATES / "document.css"))


def write_pdf(html: str) -> bytes:
    """Lay out and write one document (no cache): what the parallel workers run."""
    from weasyprint import HTML  # imported on first use: the web process loads Pango only when it renders
    return HTML(string=html, base_url=str(TEMPLATES)).write_pdf(stylesheets=[_stylesheet()])


@lru_cache(maxsize=1)
def _style_digest() -> str:
    return cache.digest((TEMPLATES / "document.css").read_bytes())


def _key(html: str) -> str:
    return "pdf:" + cache.digest(_style_digest(), html)


def pdf_for(html: str) -> bytes:
    """The document's PDF, rendered once per distinct HTML (see cache.py)."""
    return pdfs_for([html])[0]


def pdfs_for(htmls: list[str]) -> list[bytes]:
    """Several documents' PDFs: those already rendered from the cache, the others laid out side by side."""
    keys = [_key(h) for h in htmls]
    found = [cache.CACHE.get(k) for k in keys]
    missing = [i for i, pdf in enumerate(found) if pdf is None]
    if missing:
        fresh = parallel.render_all([htmls[i] for i in missing], write_pdf)
        for i, pdf in zip(missing, fresh):
            cache.CACHE.put(keys[i], pdf)
            found[i] = pdf
    return found


# Documents made of one document per nominee (each achievement report is its own document, with its own header
# and page numbers): laid out one by one — side by side, and a change to one nominee re-renders only that one — and
# put together.
SEPARATE_PER_NOMINEE = {"bao_cao_thanh_tich"}


def htmls_for(code: str, data: dict, campaign, unit, *, nominee: int | None = None, **kw) -> list[str]:
    """The HTML of each separately laid out piece of document `code` (one piece, or one per nominee; the tờ trình
    and the danh sách attached to it, which Nghị định 30/2020 numbers apart — and which is then the very danh sách
    the dossier lists, laid out once)."""
    if code in SEPARATE_PER_NOMINEE and nominee is None and len((data or {}).get("nominees") or []) > 1:
        # each piece from the data with its one nominee: the same document, without reading the others 100 times
        return [html_for(code, {**data, "nominees": [row]}, campaign, unit, nominee=0, **kw)
                for row in data["nominees"]]
    if code == "to_trinh":
        return [html_for(code, data, campaign, unit, with_list=False, **kw),
                html_for("danh_sach", data, campaign, unit, **kw)]
    return [html_for(code, data, campaign, unit, nominee=nominee, **kw)]


def joined(pdfs: list[bytes]) -> bytes:
    """Several PDFs as one, in order (kept under the digest of its pieces)."""
    if len(pdfs) == 1:
        return pdfs[0]
    key = "joined:" + cache.digest(*pdfs)
    found = cache.CACHE.get(key)
    if found is not None:
        return found
    from pypdf import PdfWriter
    writer = PdfWriter()
    for pdf in pdfs:
        writer.append(io.BytesIO(pdf))
    buffer = io.BytesIO()
    writer.write(buffer)
    cache.CACHE.put(key, buffer.getvalue())
    return buffer.getvalue()


def render_many(jobs: list[list[str]]) -> list[bytes]:
    """Each job (the HTML pieces of one document, from `htmls_for`) as one PDF; every missing piece of every
    document is laid out in one parallel batch."""
    flat = [html for job in jobs for html in job]
    pdfs = iter(pdfs_for(flat))
    return [joined([next(pdfs) for _ in job]) for job in jobs]


def render(code: str, data: dict, campaign, unit, **kw) -> bytes:
    return render_many([htmls_for(code, data, campaign, unit, **kw)])[0]
