"""The dashboard table and a campaign's nominee lists as Excel (.xlsx) and CSV, Vietnamese headers, dd/mm/yyyy.

Excel is written by openpyxl in write-only mode (rows go straight to the sheet's XML; memory stays flat however many
rows) into a spooled temporary file, then handed out in chunks; CSV is produced line by line with a UTF-8 BOM so
Excel opens the Vietnamese letters correctly.
"""
from __future__ import annotations

import csv
import io
import tempfile
from typing import Iterable, Iterator

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from sqlalchemy import select
from sqlalchemy.orm import Session

from .. import clock
from ..award_forms import award_name
from ..contracts import CaseKind
from ..models import Case, Nomination, Unit, User
from .board import UnitRow, all_rows
from .scope import campaign_for

CHUNK = 64 * 1024
UNIT_HEADERS = ["STT", "Đơn vị", "Mã đơn vị", "Hồ sơ", "Bước hiện tại", "Vai trò", "Người xử lý", "Ở bước từ",
                "Số ngày làm việc ở bước", "Hạn nộp", "Dự kiến hoàn thành", "Tình trạng"]
NOMINEE_HEADERS = ["STT", "Đơn vị", "Người/tập thể được đề nghị", "Hình thức khen thưởng", "Hồ sơ", "Ngày trình"]


def unit_table(session: Session, user: User, campaign_id: int, **filters) -> tuple[str, list[str], list[list]]:
    campaign, rows = all_rows(session, user, campaign_id, **filters)
    return campaign.code, UNIT_HEADERS, [_unit_line(i, r) for i, r in enumerate(rows, 1)]


def _unit_line(index: int, row: UnitRow) -> list:
    return [index, row.unit_name, row.unit_code, f"#{row.case_id}" if row.case_id else "", row.step_name,
            row.role_label, row.holder, clock.format_date(row.in_step_since),
            row.working_days_in_step if row.working_days_in_step is not None else "",
            clock.format_date(row.deadline), clock.format_date(row.projected_finish), row.flag_label]


def nominee_table(session: Session, user: User, campaign_id: int) -> tuple[str, list[str], list[list]]:
    """The nominees the supervised units' submitted dossiers propose (the `nominations` registry)."""
    campaign, units = campaign_for(session, user, campaign_id)
    rows = session.execute(
        select(Unit.name, Unit.short_name, Nomination.nominee_name, Nomination.award_form, Nomination.case_id,
               Nomination.created_at)
        .join(Unit, Unit.id == Nomination.unit_id).join(Case, Case.id == Nomination.case_id)
        .where(Nomination.campaign_id == campaign.id, Case.kind == CaseKind.UNIT,
               Nomination.unit_id.in_([u.id for u in units]))
        .order_by(Unit.name, Nomination.id))
    lines = [[i, short or name, nominee, award_name(form), f"#{case_id}", clock.format_date(at)]
             for i, (name, short, nominee, form, case_id, at) in enumerate(rows, 1)]
    return campaign.code, NOMINEE_HEADERS, lines


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe(value):
    """A typed-in text that a spreadsheet would run as a formula (a nominee named "=HYPERLINK(…)") is written as
    text: openpyxl stores a string starting with "=" as a formula, and Excel reads CSV cells the same way."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def xlsx_chunks(title: str, headers: list[str], lines: Iterable[list]) -> Iterator[bytes]:
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=title[:31] or "Sheet1")
    bold = Font(bold=True)
    header_cells = []
    for text in headers:
        cell = WriteOnlyCell(sheet, value=text)
        cell.font = bold
        header_cells.append(cell)
    sheet.append(header_cells)
    for line in lines:
        sheet.append([safe(value) for value in line])
    with tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024) as out:
        workbook.save(out)
        out.seek(0)
        while chunk := out.read(CHUNK):
            yield chunk


def csv_chunks(headers: list[str], lines: Iterable[list]) -> Iterator[bytes]:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    buffer.write("\ufeff")
    writer.writerow(headers)
    for line in lines:
        writer.writerow([safe(value) for value in line])
        if buffer.tell() > CHUNK:
            yield buffer.getvalue().encode("utf-8")
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue().encode("utf-8")
