"""In/Out schemas of the inspections API (第五条)."""

import datetime as dt
from decimal import Decimal
from typing import Literal

from ninja import Field, Schema
from pydantic import ConfigDict

MAX_INT = 2_147_483_647
Id = int


class StrictIn(Schema):
    model_config = ConfigDict(extra="forbid")


class CauseSeasonsOut(Schema):
    code: str
    name: str
    seasons: list[int]


class HazardAreaOut(Schema):
    id: int
    season: int
    level: Literal["community", "building"]
    name: str
    community_id: int
    building_id: int | None
    district_id: int
    households: int = Field(description="在该采暖期提出诉求的不同户数")
    request_count: int
    causes: list[CauseSeasonsOut]
    requests: list[str] = Field(description="该采暖期区域内诉求的工单号")
    is_detected: bool
    is_manual: bool
    reason: str


class HazardAreaIn(StrictIn):
    season: int = Field(..., ge=1900, le=2200)
    community_id: int = Field(..., ge=1, le=MAX_INT)
    building_id: int | None = Field(None, ge=1, le=MAX_INT)
    reason: str = Field(..., max_length=2000)


class DetectIn(StrictIn):
    season: int = Field(..., ge=1900, le=2200)


class TeamMemberIn(StrictIn):
    staff_id: int = Field(..., ge=1, le=MAX_INT)
    kind: Literal["company_staff", "station_technician"] = "company_staff"


class CampaignIn(StrictIn):
    season: int = Field(..., ge=1900, le=2200)
    name: str = Field("", max_length=100)
    starts_on: dt.date | None = None
    team: list[TeamMemberIn] = Field(..., min_length=1, max_length=200)
    area_ids: list[int] | None = Field(None, description="默认:该采暖期全部高风险区域")


class ProgressOut(Schema):
    items: int
    completed: int
    open: int
    overdue: int
    checks: int
    checks_done: int
    percent: int


class CampaignAreaOut(Schema):
    id: int
    hazard_area_id: int
    name: str
    level: str
    progress: ProgressOut


class CampaignOut(Schema):
    id: int
    season: int
    name: str
    status: str
    starts_on: dt.date
    team: list[dict[str, object]]
    progress: ProgressOut
    areas: list[CampaignAreaOut]


class ChecklistItemOut(Schema):
    id: int
    asset_type: str
    kind: str
    label: str
    asset: str
    pipe_section_id: int | None
    station_id: int | None
    building_id: int | None
    unit_id: int | None
    status: str
    is_ok: bool | None
    result: str
    supply_pressure: Decimal | None
    return_pressure: Decimal | None
    part_replaced: str
    notices: int


class CheckIn(StrictIn):
    is_ok: bool
    result: str = Field("", max_length=4000)
    supply_pressure: Decimal | None = Field(None, ge=0, le=100)
    return_pressure: Decimal | None = Field(None, ge=0, le=100)
    part_replaced: str = Field("", max_length=100)


class NoticeIn(StrictIn):
    kind: Literal["owner", "residents", "aged_pipe"]
    pipe_section_id: int | None = Field(None, ge=1, le=MAX_INT)
    building_id: int | None = Field(None, ge=1, le=MAX_INT)
    household_id: int | None = Field(None, ge=1, le=MAX_INT)
    recipient: str = Field("", max_length=100)
    channel: str = Field("", max_length=30)
    note: str = Field("", max_length=4000)


class NoticeOut(Schema):
    id: int
    kind: str
    recipient: str
    channel: str
    note: str
    at: dt.datetime
    pipe_section_id: int | None
    partner_id: int | None
    household_id: int | None
    building_id: int | None


class FindingIn(StrictIn):
    asset_type: Literal["network", "station", "riser"]
    pipe_section_id: int | None = Field(None, ge=1, le=MAX_INT)
    station_id: int | None = Field(None, ge=1, le=MAX_INT)
    building_id: int | None = Field(None, ge=1, le=MAX_INT)
    unit_id: int | None = Field(None, ge=1, le=MAX_INT)
    checklist_item_id: int | None = Field(None, ge=1, le=MAX_INT)
    description: str = Field(..., max_length=4000)
    is_fixed_on_spot: bool = False
    result: str = Field("", max_length=4000)
    responsible_id: int | None = Field(None, ge=1, le=MAX_INT)
    due_on: dt.date | None = None


class ReplacementIn(StrictIn):
    pipe_section_id: int = Field(..., ge=1, le=MAX_INT)
    responsible_id: int | None = Field(None, ge=1, le=MAX_INT)
    due_on: dt.date | None = None


class ItemOut(Schema):
    id: int
    campaign_id: int
    campaign_area_id: int
    area: str
    kind: str
    asset_type: str
    asset: str
    description: str
    status: str
    responsible_id: int | None
    responsible: str
    due_on: dt.date | None
    is_overdue: bool
    progress: int
    result: str
    completed_at: dt.datetime | None
    finding_id: int | None
    photos: list[str]


class ProgressIn(StrictIn):
    progress: int = Field(..., ge=0, le=99)
    note: str = Field(..., max_length=4000)
    responsible_id: int | None = Field(None, ge=1, le=MAX_INT)
    due_on: dt.date | None = None


class CompleteIn(StrictIn):
    result: str = Field(..., max_length=4000)


class ItemFilter(Schema):
    campaign: int | None = Field(None, ge=1, le=MAX_INT)
    area: int | None = Field(None, ge=1, le=MAX_INT)
    status: Literal["open", "completed"] | None = None
    overdue: bool = False
    mine: bool = False
