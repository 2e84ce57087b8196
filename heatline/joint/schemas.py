"""Pydantic In/Out schemas of the joint-case API."""

import datetime as dt
from datetime import datetime

from ninja import Schema
from pydantic import Field


class CaseIn(Schema):
    type: str = Field(description="dispute (纠纷类) or coordination (协调类)")
    requests: list[str] = Field(default_factory=list, description="request numbers gathered into the case")
    summary: str
    district: int | None = Field(default=None, description="for a case opened without requests")
    follow_up: int | None = Field(default=None, description="staff id of the follow-up person")


class MilestoneSchema(Schema):
    title: str
    due_date: dt.date
    responsible: str = ""


class TransitionIn(Schema):
    action: str = Field(
        description="mediate, meeting, add_milestone, complete_milestone, solve, callback, close, "
        "add_participant, contact, link_request, note"
    )
    note: str = ""
    held_at: datetime | None = None
    partners: list[int] = Field(default_factory=list, description="partner-body ids present")
    parties_present: str = ""
    agreement: str = ""
    agreement_detail: str = ""
    next_step: str = ""
    responsible_party: str = ""
    plan: str = ""
    milestones: list[MilestoneSchema] = Field(default_factory=list)
    milestone_id: int | None = None
    result: str = ""
    cause: str | None = None
    reached: bool | None = None
    solved: bool | None = None
    partner_id: int | None = None
    person: str = ""
    contact_at: datetime | None = None
    channel: str = ""
    outcome: str = ""
    requests: list[str] = Field(default_factory=list)


class ClockOut(Schema):
    name: str
    started_at: datetime
    due_at: datetime
    warn_at: datetime
    warned_at: datetime | None
    met_at: datetime | None
    breached_at: datetime | None


class MilestoneOut(Schema):
    id: int
    title: str
    due_date: dt.date
    responsible: str
    done_at: datetime | None


class ParticipantOut(Schema):
    id: int
    kind: str
    name: str


class ContactOut(Schema):
    partner: int
    person: str
    at: datetime
    channel: str
    outcome: str


class EventOut(Schema):
    at: datetime
    actor: str
    action: str
    from_status: str
    to_status: str
    note: str
    extra: dict[str, object]


class CaseOut(Schema):
    id: int
    number: str
    type: str
    status: str
    branch: int
    branch_name: str
    district: int | None
    summary: str
    follow_up: int | None
    opened_at: datetime
    mediated_at: datetime | None
    agreement: str
    meeting_at: datetime | None
    responsible_party: str
    plan: str
    solved_at: datetime | None
    closed_at: datetime | None
    version: int
    requests: list[str]
    clocks: list[ClockOut]
    milestones: list[MilestoneOut]
    participants: list[ParticipantOut]
    contacts: list[ContactOut]
    events: list[EventOut]


class CaseSummaryOut(Schema):
    id: int
    number: str
    type: str
    status: str
    branch: int
    summary: str
    opened_at: datetime
    clocks: list[ClockOut]
    next_milestone: MilestoneOut | None
