"""The strings the shipped diagrams (bpmn/), the forms (forms/) and the code must agree on, in one place.

A diagram is data a process owner may edit; these are the names the code still reads from it. Renaming one here
without the diagrams (or the other way round) is caught by tests/test_contracts.py, which looks each of them up in
the shipped diagrams, and by the status columns' CHECK constraints (migration 0004).
"""
from __future__ import annotations

from enum import StrEnum


class CaseStatus(StrEnum):
    RUNNING = "running"
    LATE = "late"  # the submission deadline passed with the dossier unsent; the case still runs
    COMPLETED = "completed"  # ended with a decision
    NOT_SUBMITTED = "not_submitted"  # closed by the receiving level after the deadline
    CANCELLED = "cancelled"  # cancelled by a supervisor, with a reason (processes/interventions.py)
    SUSPENDED = "suspended"  # held by a supervisor: no task can be done, its timers are held until it resumes


#: A case in one of these states is over: nothing more can happen to it.
SETTLED = (CaseStatus.COMPLETED, CaseStatus.NOT_SUBMITTED, CaseStatus.CANCELLED)

#: What people read for a case's status, everywhere (pages, API labels, documents).
CASE_STATUS_LABELS = {
    CaseStatus.RUNNING: "Đang xử lý",
    CaseStatus.LATE: "Quá hạn nộp",
    CaseStatus.COMPLETED: "Đã có quyết định",
    CaseStatus.NOT_SUBMITTED: "Không nộp hồ sơ",
    CaseStatus.CANCELLED: "Đã hủy",
    CaseStatus.SUSPENDED: "Tạm dừng",
}


class CaseKind(StrEnum):
    UNIT = "unit"  # a unit's own nomination (bpmn/nomination.bpmn)
    CONSOLIDATION = "consolidation"  # the receiving level's case gathering its units' dossiers


class TimerStatus(StrEnum):
    WAITING = "waiting"
    INCIDENT = "incident"  # its firing failed; an administrator retries it
    HELD = "held"  # its case is suspended: the sweep skips it until the case resumes


class EmailStatus(StrEnum):
    NONE = ""  # no e-mail wanted
    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"
    NO_ADDRESS = "no_address"


class Message(StrEnum):
    """Messages the diagrams throw for the application (end or intermediate throw events) or catch from it."""
    REMINDER = "tdkt.reminder"  # the submission deadline is near
    LATE = "tdkt.late"  # the submission deadline passed with the dossier unsent
    NOT_SUBMITTED = "tdkt.not_submitted"  # the receiving level closed a late case
    REVIEW_OVERDUE = "tdkt.review_overdue"  # the receiving level's review period passed
    FORWARDED = "tdkt.forwarded"  # a unit's accepted dossier goes into the consolidation case
    DECIDED = "tdkt.decided"  # the consolidated decision, thrown by the consolidation case, caught by each unit case


class Process(StrEnum):
    """Process ids of the shipped diagrams the code starts by name."""
    NOMINATION = "tdkt_nomination"
    CONSOLIDATION = "tdkt_consolidation"


class TaskId(StrEnum):
    """User-task ids the code names (the others are the diagram's own business)."""
    REGISTER_NOMINEES = "register_nominees"
    SUBMIT_DOSSIER = "submit_dossier"
    SELECT_NOMINEES = "select_nominees"  # gets its candidate rows from the roll-up while it waits


#: The late path's task (opened by the deadline timer): the code only words it (processes/task_notes.py) — which
#: deadline the unit missed — so a diagram need not keep it, unlike the TaskId values a new version must keep.
LATE_DECISION_TASK = "late_decision"


class Rule(StrEnum):
    """Values of a user task's `tdktRules` extension property: the campaign checks that step enforces."""
    DOCUMENTS = "documents"
    DOSSIER = "dossier"
    ELIGIBILITY = "eligibility"
    ACCEPTANCE = "acceptance"
    SELECTION = "selection"
    CONSOLIDATION = "consolidation"
    QUOTAS = "quotas"  # the unit's quotas where the nominee list is typed
    MINUTES = "minutes"  # impossible figures where the minutes are typed
    VOTES = "votes"  # the campaign's voting rule where the council approves


class DataKey(StrEnum):
    """Case data the timers and gateways read (start data) and that the code reads back from forms."""
    CAMPAIGN_CODE = "campaign_code"
    DEADLINE_AT = "deadline_at"  # deadline timer: the end of the last receiving day, ISO instant
    REMINDER_AT = "reminder_at"  # reminder timer
    REVIEW_WORKING_DAYS = "review_working_days"  # review-period timers (working_days_after)
    AWARD_LEVELS = "award_levels"  # dossier_level() in the level gateway
    CRITERIA_TEMPLATE = "criteria_template"
    NOMINEES = "nominees"
    CANDIDATES = "candidates"
    CHECK_DECISION = "check_decision"  # "accept" | "return" on the receiving level's check
    RETURN_TO = "return_to"  # the step a return sends the case to: the gateways after each refusing step read it
    # A dossier split between the unit's own head and the level above (bpmn/nomination.bpmn's split_dossier):
    OWN_NOMINEES = "own_nominees"  # those the head decides (unit_decision's awards are prefilled from them)
    UPPER_NOMINEES = "upper_nominees"  # those that go up (tờ trình, danh sách, roll-up, the upper decision)
    UNIT_DECISION = "unit_decision"  # the head's own decision of a mixed dossier, kept apart from the upper one


#: What `dossier_level()` returns (the diagrams' gateways compare with it): a dossier whose every nominee is proposed
#: for an award the unit's own head decides (a Giấy khen of the unit: award_forms.DECIDED_BY) stays at the unit;
#: otherwise it goes to the receiving level ("provincial") or beyond it ("supreme").
LEVEL_OWN = "own"
LEVEL_PROVINCIAL = "provincial"
LEVEL_SUPREME = "supreme"

#: The receiving level reviews within ten working days unless the campaign says otherwise: what the review-period
#: timers read from `review_working_days`, and what a task's due date counts when the case has none.
DEFAULT_REVIEW_WORKING_DAYS = 10


#: The extension property (spiffworkflow:property) a user task names its rules with.
RULES_PROPERTY = "tdktRules"
ACCEPT = "accept"
RETURN = "return"
