"""Rendering the dossier's documents with WeasyPrint.

Prints the time to render a tờ trình with its danh sách for 100 nominees (target under 1.5 s) beside a baseline
measured in the same run (the same tờ trình with 1 nominee: WeasyPrint's fixed cost per document), and the time to
build the complete dossier of a case (every document of the campaign, ZIP with manifest, and the merged PDF) for
10 and 100 nominees. Medians of several runs after one warm-up; SQLite, seeded like the demo.

Usage: .venv/bin/python bench/documents.py [runs per measurement, default 5]
       .venv/bin/python bench/documents.py --quick   (1 run, tờ trình with 10 nominees, dossier of 2; fails only if
                                                      the bench breaks, not on a MISS)
"""
from __future__ import annotations

import io
import statistics
import sys
import tempfile
import time
import zipfile

import _path  # noqa: F401
from bench.common import quick_flag, sqlite_url, verdict

from pypdf import PdfReader
from sqlalchemy import select

from processes.db import make_engine, make_sessionmaker, upgrade_schema
from processes.documents import dossier, html_for, pdf_for
from processes.models import Campaign, Case, DiagramVersion, Unit, User
from processes.seeding import seed_demo
from tests.factories import reported

NAMES = ["Trần Thị Thủy", "Nguyễn Văn Đức", "Lê Thị Hồng Nhung", "Phạm Quốc Hưng", "Hoàng Minh Châu",
         "Đặng Thị Ngọc Ánh", "Vũ Đức Toàn", "Bùi Thị Thu Hương", "Đỗ Quang Khải", "Ngô Thị Yến"]


def case_data(n: int) -> dict:
    nominees = [reported({
        "kind": "collective" if i % 5 == 0 else "individual",
        "name": f"VKSND huyện số {i}" if i % 5 == 0 else f"{NAMES[i % 10]} ({i})",
        "position": "Kiểm sát viên trung cấp, VKSND thành phố Đồng Hới", "award_form": "bang_khen_vkstc",
        "achievement_summary": "Xây dựng và đưa vào sử dụng phần mềm quản lý án hình sự từ 01/2024, giảm 30% thời "
                               "gian tra cứu hồ sơ, không để xảy ra án quá hạn."}) for i in range(n)]
    return {"nominees": nominees, "meeting_date": "2024-08-19", "meeting_place": "Phòng họp VKSND TP Đồng Hới",
            "chair": "Lê Văn Hùng", "secretary_name": "Phạm Thị Lan", "members_total": 9, "members_present": 8,
            "votes": [{"nominee": x["name"], "votes_for": 8, "votes_against": 0} for x in nominees],
            "submission_number": "15/TTr-VKS", "submission_date": "2024-08-20", "signer_name": "Lê Văn Hùng",
            "signer_title": "Viện trưởng"}


def timed(fn, runs: int) -> tuple[float, object]:
    result = fn()  # warm-up: fonts, templates, stylesheet
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        result = fn()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples), result


def pages(pdf: bytes) -> int:
    return len(PdfReader(io.BytesIO(pdf)).pages)


def main(runs: int, nominees: int, dossier_sizes: tuple[int, ...]) -> None:
    url = sqlite_url()
    upgrade_schema(url)
    session = make_sessionmaker(make_engine(url))()
    seed_demo(session)
    campaign = session.scalar(select(Campaign).where(Campaign.code == "qb-1532-2024"))
    unit = session.scalar(select(Unit).where(Unit.code == "vks-qb-dong-hoi"))
    admin = session.scalar(select(User).where(User.is_admin.is_(True)))
    version = session.scalar(select(DiagramVersion).order_by(DiagramVersion.id))

    print(f"Tờ trình + danh sách (WeasyPrint, median of {runs}):")
    base, pdf1 = timed(lambda: pdf_for(html_for("to_trinh", case_data(1), campaign, unit)), runs)
    print(f"  baseline   1 nominee : {base:6.3f} s  ({pages(pdf1)} pages)")
    html_t, html_n = timed(lambda: html_for("to_trinh", case_data(nominees), campaign, unit), runs)
    t_n, pdf_n = timed(lambda: pdf_for(html_n), runs)
    total = t_n + html_t
    assert pages(pdf_n) > pages(pdf1), (pages(pdf_n), pages(pdf1))
    print(f"  {nominees:3d} nominees         : {total:6.3f} s  ({pages(pdf_n)} pages; HTML {html_t * 1000:.1f} ms)")
    if nominees == 100:
        verdict("tờ trình, 100 nominees", total, 1.5, sign="<", unit=" s")
    else:
        print("  (the target, 100 nominees < 1.5 s, is judged in the full run only; below: its ratio, for 10)")
    verdict(f"tờ trình, {nominees} nominees / 1 nominee", total / base, 1.5 / base, sign="<")

    folder = tempfile.mkdtemp(prefix="tdkt-bench-uploads-")
    # one case per size, each of its own unit (a unit has one case per campaign); the documents read the data only
    others = session.scalars(select(Unit).where(Unit.parent_id == unit.parent_id).order_by(Unit.id)
                             .limit(len(dossier_sizes))).all()
    for n, owner in zip(dossier_sizes, others):
        case = Case(campaign=campaign, unit=owner, diagram_version_id=version.id, workflow_state="", data=case_data(n))
        session.add(case)
        session.commit()
        tz, (_, archive) = timed(lambda: dossier.zip_dossier(session, admin, case.id, folder), runs)
        tp, (_, merged) = timed(lambda: dossier.merged_pdf(session, admin, case.id, folder), runs)
        with zipfile.ZipFile(io.BytesIO(archive)) as z:
            assert z.testzip() is None and len(z.namelist()) > 1, z.namelist()
        assert pages(merged) >= pages(pdf1), pages(merged)
        print(f"Full dossier, {n:3d} nominees: ZIP {tz:6.3f} s ({len(archive) / 1024:.0f} KiB), "
              f"merged PDF {tp:6.3f} s ({pages(merged)} pages)")
    session.close()


if __name__ == "__main__":
    quick, args = quick_flag()
    if quick:
        main(1, 10, (2,))
    else:
        main(int(args[0]) if args else 5, 100, (10, 100))
