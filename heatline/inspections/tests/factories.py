"""Seasons, requests with causes, hazard areas and campaigns, reached through the real services."""

import datetime as dt
from zoneinfo import ZoneInfo

import time_machine

from heatline.core.models import HeatingSeason
from heatline.inspections.models import Campaign, MemberKind
from heatline.inspections.services import TeamMember, campaign_create, hazard_detect
from heatline.registry.models import Building, Household
from heatline.registry.tests.factories import HouseholdFactory, Org
from heatline.requests.models import Action, ServiceRequest
from heatline.requests.tests.factories import advance, registered_request
from heatline.requests.transitions import Params

TZ = ZoneInfo("Asia/Shanghai")


def season(year: int) -> HeatingSeason:
    row, _created = HeatingSeason.objects.get_or_create(
        year=year,
        defaults={"first_heating_day": dt.date(year, 10, 20), "last_day": dt.date(year + 1, 4, 15)},
    )
    return row


def request_at(
    org: Org, *, household: Household, at: dt.datetime, cause: str | None = None
) -> ServiceRequest:
    """A request registered at `at`; with a cause, taken through contact → arrive → complete."""
    with time_machine.travel(at, tick=False):
        service_request = registered_request(org, household=household)
        if cause is not None:
            service_request = advance(
                service_request,
                (Action.CONTACT, org.responsible, None),
                (Action.ARRIVE, org.worker, None),
                (Action.COMPLETE, org.worker, Params(cause=cause, result="已处理")),
            )
    return service_request


def households(building: Building, count: int) -> list[Household]:
    return [HouseholdFactory(building=building) for _ in range(count)]


def high_risk_building(org: Org, *, count: int = 10, year: int = 2025) -> list[Household]:
    """`count` households of org.building complaining in `year`'s season, with pipe blockage in that
    season and ageing equipment the season before."""
    season(year - 1)
    season(year)
    homes = households(org.building, count)
    for index, home in enumerate(homes):
        cause = "pipe_blockage" if index == 0 else None
        request_at(org, household=home, at=dt.datetime(year, 12, 1, 9, index, tzinfo=TZ), cause=cause)
    request_at(
        org, household=homes[0], at=dt.datetime(year - 1, 12, 5, 9, 0, tzinfo=TZ), cause="equipment_ageing"
    )
    return homes


def campaign_for(org: Org, *, year: int = 2025) -> Campaign:
    hazard_detect(season=season(year))
    return campaign_create(
        season=season(year),
        team=[
            TeamMember(org.inspector, MemberKind.STATION_TECHNICIAN),
            TeamMember(org.worker, MemberKind.COMPANY_STAFF),
        ],
        by=org.admin,
    )
