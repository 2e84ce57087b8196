"""API schemas of the watch list."""

import datetime as dt
from decimal import Decimal

from ninja import Schema


class EntryOut(Schema):
    id: int
    season: int
    account_number: str
    address: str
    district: str
    rooms: dict[str, float]
    causes: list[str]
    complaint_count: int
    low_reading_count: int
    min_temperature: Decimal | None
    priority: int
    status: str
    status_label: str
    source: str
    manual: str
    manual_reason: str
    planned_for: dt.date | None
    booking_due_on: dt.date | None
    assignee: str | None
    visited_at: dt.datetime | None
    fixed_at: dt.datetime | None
    remeasure_due_at: dt.datetime | None
    remeasured_at: dt.datetime | None
    followup_due_on: dt.date | None
    confirmed_at: dt.datetime | None
    request_number: str | None


class EntryPage(Schema):
    count: int
    items: list[EntryOut]


class ReadingIn(Schema):
    room: str
    temperature: Decimal


class VisitIn(Schema):
    readings: list[ReadingIn]
    instrument_id: str
    instrument_certificate: str = ""
    is_calibrated: bool
    cause: str | None = None
    action: str = ""
    action_note: str = ""


class RemeasureIn(Schema):
    readings: list[ReadingIn]


class BookingIn(Schema):
    result: str
    new_time: dt.datetime | None = None
    note: str = ""


class FollowupIn(Schema):
    result: str
    note: str = ""


class ReasonIn(Schema):
    reason: str


class AddIn(Schema):
    season: int
    account_number: str
    reason: str


class BuildOut(Schema):
    created: int
    updated: int
    dropped: int
    kept_manual: int
    total: int
    planned: int
