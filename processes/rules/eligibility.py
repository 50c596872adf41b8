"""Who may not be nominated: the unit's own declarations, and the same achievement twice in one round.

- A nominee (or, for a collective, one of its members) under disciplinary action or review, under investigation,
  inspection or audit for signs of a violation, or with a complaint or denunciation being verified, cannot be
  proposed: seed 004 §II.2, seed 000 §4 and the general rules of the Law on Emulation and Commendation.
- One achievement earns one award form ("Không tặng nhiều hình thức khen thưởng cho một thành tích"), and one
  nominee is proposed once per achievement in a round — within a dossier and across the units of the round (the
  `nominations` registry the unit heads' submissions write, `registry.py`).

Every violation names the nominee and carries the form field it is about, so the registration page can mark it.
"""
from __future__ import annotations

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from ..award_forms import award_name
from ..models import Campaign, Case, Nomination, Unit
from ..nominees import achievement_key, nominee_key
from .quotas import FieldViolation, Violation

# Case statuses whose nominations no longer stand in the round: the dossier was never sent, or was withdrawn.
CLOSED_UNSENT = ("not_submitted", "cancelled")

# (form field, said of a person, said of a collective, words that find the campaign's own sentence on it)
GROUNDS = (
    ("under_discipline", "đang bị xử lý kỷ luật", "có thành viên đang bị xử lý kỷ luật", ("kỷ luật",)),
    ("discipline_review", "đang bị xem xét xử lý kỷ luật", "có thành viên đang bị xem xét xử lý kỷ luật",
     ("xem xét", "kỷ luật")),
    ("under_investigation", "đang bị điều tra, thanh tra, kiểm tra khi có dấu hiệu vi phạm",
     "có thành viên đang bị điều tra, thanh tra, kiểm tra khi có dấu hiệu vi phạm", ("thanh tra",)),
    ("complaint_verifying", "có đơn thư khiếu nại, tố cáo đang được xác minh, làm rõ",
     "có thành viên bị khiếu nại, tố cáo đang được xác minh, làm rõ", ("khiếu nại",)),
)
BY_LAW = "nguyên tắc khen thưởng của Luật Thi đua, khen thưởng năm 2022 và Nghị định 98/2023/NĐ-CP"


def violations(session: Session, case: Case, nominees: list[dict], *, registered_before: bool = False,
               lock: bool = True) -> list[Violation]:
    """Every eligibility rule on `nominees` of `case`. `registered_before`: across units, count only the other
    dossiers registered before this one's (the receiving level's re-check: the earlier submission stands).
    `lock=False` where nothing is written after the check (the registration): see `across_units`."""
    details = case.campaign.details or {}
    return (declared(nominees, details) + not_offered(nominees, details) + within_dossier(nominees)
            + across_units(session, case, nominees, registered_before=registered_before, lock=lock))


def offered_forms(details: dict) -> list[dict]:
    """The campaign's own award forms (its `[[award_form]]` tables), in the file's order: the only ones its nominees
    may be proposed for. Empty for a campaign file that names none (then the form's catalogue stands)."""
    return [f for f in (details or {}).get("award_form") or [] if f.get("code")]


def not_offered(nominees: list[dict], details: dict) -> list[Violation]:
    """An award form the campaign does not offer, or offers only to the other kind of nominee (`for_kinds`)."""
    offered = {f["code"]: f for f in offered_forms(details)}
    if not offered:
        return []
    names = "; ".join(f.get("name") or award_name(code) for code, f in offered.items())
    found: list[Violation] = []
    for i, nominee in enumerate(nominees):
        code = nominee.get("award_form") or ""
        if not code:
            continue
        form = offered.get(code)
        if form is None:
            found.append(FieldViolation(
                "award_form_not_offered",
                f"«{nominee.get('name')}»: {award_name(code)} không thuộc các hình thức khen thưởng của phong trào "
                f"này ({names}).", field=f"nominees.{i}.award_form"))
        elif form.get("for_kinds") and nominee.get("kind", "individual") not in form["for_kinds"]:
            whom = "tập thể" if nominee.get("kind") == "collective" else "cá nhân"
            found.append(FieldViolation(
                "award_form_not_for_kind",
                f"«{nominee.get('name')}»: phong trào không đề nghị {form.get('name') or award_name(code)} cho "
                f"{whom}.", field=f"nominees.{i}.award_form"))
    return found


def _source(details: dict, words: tuple[str, ...]) -> str:
    """The campaign's own sentence on this ground when it has one (seed 000 §4, 004 §II.2), else the law's."""
    for sentence in (details.get("eligibility") or []) + (details.get("eligibility_by_law") or []):
        text = sentence.casefold()
        if all(w in text for w in words):
            return f"tiêu chuẩn của phong trào: «{sentence.rstrip('.')}»"
    return BY_LAW


def declared(nominees: list[dict], details: dict) -> list[Violation]:
    found: list[Violation] = []
    for i, nominee in enumerate(nominees):
        collective = nominee.get("kind") == "collective"
        for field, person, members, words in GROUNDS:
            if nominee.get(field):
                found.append(FieldViolation(
                    "eligibility_" + field,
                    f"«{nominee.get('name')}» {members if collective else person}: không đủ điều kiện đề nghị "
                    f"khen thưởng ({_source(details, words)}).", field=f"nominees.{i}.{field}"))
    return found


def within_dossier(nominees: list[dict]) -> list[Violation]:
    """The same nominee and achievement on two rows: two award forms for one achievement, or the same row twice."""
    found: list[Violation] = []
    first: dict[tuple[str, str], dict] = {}
    for i, nominee in enumerate(nominees):
        key = (nominee_key(nominee), achievement_key(nominee))
        earlier = first.setdefault(key, nominee)
        if earlier is nominee:
            continue
        name, title = nominee.get("name"), nominee.get("achievement_title") or ""
        forms = [earlier.get("award_form") or "", nominee.get("award_form") or ""]
        if forms[0] != forms[1]:
            found.append(FieldViolation(
                "eligibility_two_forms",
                f"Thành tích «{title}» của «{name}» được đề nghị hai hình thức khen thưởng ({award_name(forms[0])} "
                f"và {award_name(forms[1])}): mỗi thành tích chỉ được đề nghị một hình thức khen thưởng.",
                field=f"nominees.{i}.award_form"))
        else:
            found.append(FieldViolation(
                "eligibility_twice",
                f"«{name}» được đề nghị hai lần cho cùng thành tích «{title}» trong danh sách.",
                field=f"nominees.{i}.name"))
    return found


def across_units(session: Session, case: Case, nominees: list[dict], *, registered_before: bool = False,
                 lock: bool = True) -> list[Violation]:
    """The same nominee and achievement in another unit's submitted dossier of the same campaign round. Where the
    check only warns early (the registration writes no registry rows) it reads without the campaign lock."""
    keys = {nominee_key(n) for n in nominees}
    if not keys:
        return []
    # Two unit heads submitting at once would each miss the other's uncommitted rows: take the campaign row's lock
    # (NO KEY UPDATE, so starting cases, whose foreign key takes KEY SHARE, is not held up) so submissions of one
    # round run one after the other. SQLite already serialises writers.
    if lock:
        session.execute(select(Campaign.id).where(Campaign.id == case.campaign_id).with_for_update(key_share=True))
    query = _ELSEWHERE
    if registered_before:
        mine = session.scalar(select(Nomination.id).where(Nomination.case_id == case.id)
                              .order_by(Nomination.id).limit(1))
        if mine is not None:
            query = query.where(Nomination.id < mine)
    elsewhere: dict[tuple[str, str], tuple[str, str]] = {}
    for key, achievement, form, unit_name in session.execute(
            query, {"campaign_id": case.campaign_id, "case_id": case.id, "keys": sorted(keys)}):
        elsewhere.setdefault((key, achievement), (unit_name, form))
    found: list[Violation] = []
    for i, nominee in enumerate(nominees):
        hit = elsewhere.get((nominee_key(nominee), achievement_key(nominee)))
        if hit:
            found.append(FieldViolation(
                "eligibility_other_unit",
                f"«{nominee.get('name')}» đã được {hit[0]} đề nghị {award_name(hit[1])} cho cùng thành tích "
                f"«{nominee.get('achievement_title') or ''}» trong đợt khen thưởng này: một thành tích chỉ được "
                f"đề nghị khen thưởng một lần.", field=f"nominees.{i}.achievement_title"))
    return found


# Built once (every completion of a step that checks eligibility runs it): the same nominees in other cases of the
# round, a case closed without being sent excepted.
_ELSEWHERE = (select(Nomination.nominee_key, Nomination.achievement_key, Nomination.award_form, Unit.name)
              .join(Case, Case.id == Nomination.case_id).join(Unit, Unit.id == Nomination.unit_id)
              .where(Nomination.campaign_id == bindparam("campaign_id"), Nomination.case_id != bindparam("case_id"),
                     Nomination.nominee_key.in_(bindparam("keys", expanding=True)),
                     Case.status.not_in(CLOSED_UNSENT))
              .order_by(Nomination.id))
