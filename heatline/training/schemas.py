import datetime as dt

from ninja import Schema


class SessionIn(Schema):
    held_on: dt.date
    title: str
    topics: list[str]
    attendee_ids: list[int] = []
    trainer_id: int | None = None
    trainer_name: str = ""
    location: str = ""
    notes: str = ""


class SessionOut(Schema):
    id: int
    held_on: dt.date
    year: int
    quarter: int
    title: str
    topics: list[str]
    trainer: str
    attendee_ids: list[int]


class MissedOut(Schema):
    id: int
    name: str
    role: str
    district_id: int | None


class CoverageOut(Schema):
    year: int
    quarter: int
    sessions: int
    topics: list[str]
    required: int
    trained: int
    share: float | None
    missed: list[MissedOut]
