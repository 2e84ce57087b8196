import datetime as dt

from ninja import Schema


class OutlookDayOut(Schema):
    date: dt.date
    has_forecast: bool
    low_c: float | None
    high_c: float | None
    mean_c: float | None
    degrees_below: float | None


class BacktestDayOut(Schema):
    date: dt.date
    actual: int
    predicted: float


class ErrorOut(Schema):
    days: int
    mae: float | None
    mean_actual: float | None
    pct: float | None


class OutlookRowOut(Schema):
    district_id: int | None
    name: str
    is_fallback: bool
    a: float
    b: float
    expected: list[float | None]
    today_count: int
    backtest: list[BacktestDayOut]
    error: ErrorOut


class StaffingDayOut(Schema):
    date: dt.date
    calls: float | None
    peak_per_hour: float | None
    operators: int | None


class OutlookOut(Schema):
    state: str
    today: dt.date
    computed_at: dt.datetime
    base_c: float
    is_company_wide: bool
    days: list[OutlookDayOut]
    rows: list[OutlookRowOut]
    total: OutlookRowOut | None
    fitted_days: int
    staffing: list[StaffingDayOut]
    handle_minutes: float
    peak_hour: int | None
    peak_share: float | None
    heating_share: float | None
