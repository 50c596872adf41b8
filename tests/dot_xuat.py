"""Khen thưởng đột xuất (an ad-hoc award), the process nobody shipped: its forms, a campaign round bound to it, and
what each step's people type. Shared by the HTTP test of a diagram drawn the SpiffArena way and the browser proof,
where a process owner draws the same process and writes the same forms in the form editor."""
from __future__ import annotations

import json
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SPIFFARENA_BPMN = (Path(__file__).parent / "diagrams" / "dot_xuat_spiffarena.bpmn").read_text(encoding="utf-8")

FORMS = {
    "dx-proposal-schema.json": {
        "type": "object", "title": "Đề xuất khen thưởng đột xuất", "required": ["nominee", "achievement"],
        "properties": {
            "nominee": {"type": "string", "title": "Cá nhân hoặc tập thể được đề nghị", "maxLength": 300},
            "achievement": {"type": "string", "title": "Thành tích đột xuất", "maxLength": 4000}}},
    "dx-minutes-schema.json": {
        "type": "object", "title": "Biên bản họp", "required": ["minutes_summary"],
        "properties": {"minutes_summary": {"type": "string", "title": "Tóm tắt biên bản họp", "maxLength": 4000}}},
    "dx-vote-schema.json": {
        "type": "object", "title": "Hội đồng bỏ phiếu", "required": ["votes_for", "votes_total"],
        "properties": {"votes_for": {"type": "integer", "minimum": 0, "title": "Số phiếu tán thành"},
                       "votes_total": {"type": "integer", "minimum": 1, "title": "Số thành viên hội đồng"}}},
    "dx-submit-schema.json": {
        "type": "object", "title": "Tờ trình", "required": ["submission_ref"],
        "properties": {"submission_ref": {"type": "string", "title": "Số tờ trình", "maxLength": 80}}},
    "dx-decision-schema.json": {
        "type": "object", "title": "Quyết định khen thưởng", "required": ["award_decision", "decision_ref"],
        "properties": {
            "award_decision": {"type": "string", "title": "Quyết định", "enum": ["khen_thuong", "khong_khen"],
                               "x-enumNames": ["Khen thưởng", "Không khen thưởng"]},
            "decision_ref": {"type": "string", "title": "Số quyết định", "maxLength": 80}}},
}

# What each step's people type (by the field names of the forms above).
ANSWERS = {
    "propose": {"nominee": "Trần Thị Thủy", "achievement": "Phát hiện và ngăn chặn kịp thời một vụ lừa đảo qua mạng."},
    "write_minutes": {"minutes_summary": "Hội đồng họp ngày 16/08/2024, 7/7 thành viên có mặt."},
    "council_vote": {"votes_for": 7, "votes_total": 7},
    "head_submit": {"submission_ref": "12/TTr-VKS"},
    "decide": {"award_decision": "khen_thuong", "decision_ref": "345/QĐ-VKSQB"},
}


def form_text(name: str) -> str:
    return json.dumps(FORMS[name], ensure_ascii=False, indent=2)


def campaign_definition(process_id: str, code: str = "qb-dot-xuat-2024") -> dict:
    """The Quảng Bình round's definition as a new round of kind «đột xuất» running `process_id`."""
    text = (ROOT / "processes" / "seed_data" / "campaigns" / "qb-1532-2024.toml").read_text(encoding="utf-8")
    definition = tomllib.loads(text)
    definition.update(code=code, name="Khen thưởng đột xuất năm 2024", round="dot_xuat", process_id=process_id)
    return definition

# The same process as Camunda Modeler 5 saves it (its own process id): its namespaces, the
# `modeler:executionPlatform` attributes, camunda: attributes and extension elements beside ours, colours (bioc:,
# color:) and label bounds in its diagram interchange.
CAMUNDA_BPMN = (Path(__file__).parent / "diagrams" / "dot_xuat_camunda_modeler5.bpmn").read_text(encoding="utf-8")
CAMUNDA_PID = "tdkt_camunda_dot_xuat"
