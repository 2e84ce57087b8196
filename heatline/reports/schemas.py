import datetime as dt

from ninja import Schema


class RateOut(Schema):
    numerator: int
    denominator: int
    value: float | None
    is_small_sample: bool


class RatesOut(Schema):
    response: RateOut
    resolution: RateOut
    satisfaction: RateOut
    score: float | None


class ClockOut(Schema):
    total: int
    met: int
    breached: int
    open: int
    share: float | None


class DefinitionOut(Schema):
    name: str
    definition: str


class SummaryOut(Schema):
    date_from: dt.date
    date_to: dt.date
    total: int
    excluded: int
    counted: int
    classified_in_time: int
    classified_share: float | None
    resolved_at_intake: int
    complaints: int
    rates: RatesOut
    clocks: dict[str, ClockOut]
    is_small_sample: bool
    definitions: list[DefinitionOut]
