"""The dossier's documents (tờ trình with its danh sách, biên bản, báo cáo thành tích, báo cáo tóm tắt, quyết định,
Bằng khen / Giấy khen) rendered to PDF with WeasyPrint from Jinja templates.

Templates live per legal basis (`templates/nd98_2023/`, `templates/nd152_2025/`): a set's `_set.html` names its
forms, and a template of a document's name in the set's folder replaces the common one (`templates/common/`). The
campaign picks its set (`context.legal_set`). Everything renders from (case data, campaign, unit), so a unit's
nomination and a receiving level's consolidation produce the same documents.
"""
from __future__ import annotations

from .render import DOCUMENTS, DocumentSpec, html_for, missing_fields, pdf_for, render

__all__ = ["DOCUMENTS", "DocumentSpec", "html_for", "missing_fields", "pdf_for", "render"]
