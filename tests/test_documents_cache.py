"""Each document is laid out once per version of what it says: the render cache's key follows the HTML, so a change
anywhere in what a document shows renders it again, and nothing else does."""
from __future__ import annotations

import io

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from processes import documents
from processes.documents import cache, parallel
from processes.documents.render import htmls_for, write_pdf
from processes.models import Campaign, Unit
from tests.factories import reported

RENDERING = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)


def test_the_lru_keeps_what_fits_and_drops_the_oldest():
    lru = cache.ByteLRU(10)
    lru.put("a", b"12345")
    lru.put("b", b"12345")
    assert lru.get("a") == b"12345"  # a is now the most recent
    lru.put("c", b"123")
    assert lru.get("b") is None and lru.get("a") == b"12345" and lru.get("c") == b"123"
    lru.put("huge", b"x" * 11)
    assert lru.get("huge") is None


@RENDERING
def test_a_document_is_rendered_once_per_version_of_what_it_says(session, monkeypatch):
    campaign = session.scalar(select(Campaign).where(Campaign.code == "qb-1532-2024"))
    unit = session.scalar(select(Unit).where(Unit.code == "vks-qb-dong-hoi"))
    data = {"nominees": [reported({"kind": "individual", "name": "Trần Thị Thủy", "award_form": "bang_khen_vkstc"}),
                         reported({"kind": "individual", "name": "Hoàng Văn Nam", "award_form": "bang_khen_vkstc"})],
            "submission_number": "15/TTr-VKS", "submission_date": "2024-08-20", "signer_name": "Lê Văn Hùng",
            "signer_title": "Viện trưởng"}
    cache.CACHE.clear()
    monkeypatch.setenv("TDKT_RENDER_WORKERS", "1")
    laid_out = []
    monkeypatch.setattr(parallel, "render_all", lambda htmls, fn: laid_out.extend(htmls) or [fn(h) for h in htmls])

    first = documents.render("to_trinh", data, campaign, unit)
    # the tờ trình and the danh sách attached to it are laid out apart (and side by side)
    assert documents.render("to_trinh", data, campaign, unit) == first and len(laid_out) == 2
    changed = documents.render("to_trinh", {**data, "submission_number": "16/TTr-VKS"}, campaign, unit)
    assert changed != first and len(laid_out) == 4  # any change to what they say: rendered again
    documents.render("danh_sach", data, campaign, unit)
    assert len(laid_out) == 4  # the dossier's danh sách is the one attached to the tờ trình

    # Each nominee's report is a document of its own: a change to one re-renders that one only.
    reports = documents.render("bao_cao_thanh_tich", data, campaign, unit)
    assert len(laid_out) == 6 and len(htmls_for("bao_cao_thanh_tich", data, campaign, unit)) == 2
    pages = PdfReader(io.BytesIO(reports)).pages
    assert "Trần Thị Thủy" in pages[0].extract_text() and "Hoàng Văn Nam" in pages[-1].extract_text()
    edited = {**data, "nominees": [data["nominees"][0], {**data["nominees"][1], "position": "Kiểm sát viên"}]}
    documents.render("bao_cao_thanh_tich", edited, campaign, unit)
    assert len(laid_out) == 7


def test_documents_laid_out_side_by_side_are_the_documents(monkeypatch):
    monkeypatch.setenv("TDKT_RENDER_WORKERS", "2")
    htmls = [f"<p>Tài liệu số {i}</p>" for i in range(3)]
    pdfs = parallel.render_all(htmls, write_pdf)
    assert [PdfReader(io.BytesIO(p)).pages[0].extract_text().strip() for p in pdfs] == \
        [f"Tài liệu số {i}" for i in range(3)]
