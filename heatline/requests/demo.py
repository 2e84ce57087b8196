"""Demo requests: past seasons' history in bulk (closed, with clocks, causes and callbacks) and a live set
registered through the real services, some of them moved back in time so queues show overdue work."""

import datetime as dt
import math
import random
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from heatline.registry.demo import DEMO_CALLER_PHONE, person
from heatline.registry.models import Building, Household, Staff
from heatline.requests.models import (
    Action,
    Callback,
    Category,
    Cause,
    Clock,
    ClockName,
    Kind,
    RequestEvent,
    ServiceRequest,
    Source,
    Status,
)
from heatline.requests.services import Intake, request_register
from heatline.requests.transitions import Params, request_transition

Progress = Callable[[str], None]
TZ = dt.timezone(dt.timedelta(hours=8))

CONTENTS = {
    "low_temperature": [
        "家里暖气不热,客厅只有{t}度",
        "卧室温度低,只有{t}度,老人冷",
        "室温{t}度,不达标,要求处理",
    ],
    "no_heat": ["暖气一点都不热,全楼都停了吗", "今天早上开始暖气停了"],
    "small_repair": ["暖气片阀门滴水", "暖气片需要放气,有响声", "入户阀门拧不动"],
    "heating_complaint": ["维修人员说好来没来,投诉", "对上次处理不满意"],
    "billing": ["咨询今年热费怎么交", "发票怎么开"],
    "suspension": ["申请报停", "咨询恢复供热手续"],
    "indoor_leak": ["卫生间暖气片跑水了,快来人", "楼上漏水到我家"],
    "network_leak": ["小区路面冒热气,像是管网泄漏", "楼前井里冒汽,地面有水"],
}
WEIGHTS = {"low_temperature": 55, "no_heat": 8, "small_repair": 15, "heating_complaint": 5, "billing": 7, "suspension": 3,
           "indoor_leak": 4, "network_leak": 3}  # fmt: skip
CAUSE_OF = {
    "low_temperature": [
        "radiator_air",
        "slow_circulation",
        "pipe_blockage",
        "valve_fault",
        "window_open",
        "building_insulation",
    ],
    "no_heat": ["valve_fault", "pipe_blockage", "heat_source", "equipment_ageing"],
    "small_repair": ["valve_fault", "equipment_ageing", "radiator_air"],
    "heating_complaint": ["other"],
    "billing": ["other"],
    "suspension": ["other"],
    "indoor_leak": ["equipment_ageing", "unauthorised_alteration"],
    "network_leak": ["network_leak", "equipment_ageing"],
}


def _cold(day: dt.date) -> float:
    """A cold-wave factor: demand peaks in cold spells (deterministic waves over the season)."""
    doy = day.toordinal()
    return 1.0 + 0.8 * max(0.0, math.sin(doy / 9.0)) + 0.5 * max(0.0, math.sin(doy / 23.0 + 1))


def populate(*, rng: random.Random, progress: Progress, households: int = 20000) -> None:
    if ServiceRequest.objects.exists():
        progress(f"requests: already there ({ServiceRequest.objects.count():,}), nothing added")
        return
    today = timezone.localdate()
    season_start = dt.date(today.year if today.month >= 9 else today.year - 1, 10, 1)
    # History grows with the utility up to a cap: benchmarks generate their own millions in bulk SQL.
    per_season = min(max(300, households // 10), 3000)
    _history(
        rng=rng,
        progress=progress,
        start=season_start.replace(year=season_start.year - 1),
        days=212,
        count=per_season,
    )
    hot_buildings = list(Building.objects.order_by("id")[3:60:11][:5])
    _hot_spots(rng=rng, buildings=hot_buildings, seasons=(season_start.year - 2, season_start.year - 1))
    days_so_far = (today - season_start).days
    if days_so_far > 2:
        _history(
            rng=rng,
            progress=progress,
            start=season_start,
            days=days_so_far - 2,
            count=min(max(150, households // 25), 1200),
        )
    _live(rng=rng, progress=progress)


def _categories() -> dict[str, Category]:
    return {c.code: c for c in Category.objects.select_related("department__head")}


def _history(*, rng: random.Random, progress: Progress, start: dt.date, days: int, count: int) -> None:
    """Closed requests of a past period, bulk-inserted with their clocks, events and callbacks."""
    categories = _categories()
    causes = {c.code: c for c in Cause.objects.all()}
    household_ids = list(Household.objects.values_list("id", flat=True))
    repeaters = rng.sample(household_ids, k=min(len(household_ids), max(20, count // 8)))
    weights = [_cold(start + timedelta(days=d)) for d in range(days)]
    codes = list(WEIGHTS)
    operator = Staff.objects.get(username="operator")
    requests: list[ServiceRequest] = []
    sequence: dict[dt.date, int] = {}
    plan: list[tuple[int, str, dt.datetime]] = []
    for _ in range(count):
        day = start + timedelta(days=rng.choices(range(days), weights=weights)[0])
        received = dt.datetime.combine(day, dt.time(rng.randrange(0, 24), rng.randrange(60)), tzinfo=TZ)
        code = rng.choices(codes, weights=[WEIGHTS[c] for c in codes])[0]
        household_id = rng.choice(repeaters) if rng.random() < 0.3 else rng.choice(household_ids)
        plan.append((household_id, code, received))
    households = Household.objects.in_bulk([p[0] for p in plan])
    buildings = Building.objects.in_bulk({h.building_id for h in households.values()})
    for household_id, code, received in plan:
        household = households[household_id]
        category = categories[code]
        day = received.date()
        sequence[day] = sequence.get(day, 0) + 1
        building = buildings[household.building_id]
        late = rng.random() < 0.04
        registered = received + timedelta(minutes=rng.randrange(6, 15) if late else rng.randrange(1, 5))
        emergency = category.kind == Kind.EMERGENCY
        first = registered + timedelta(minutes=rng.randrange(5, 80) if emergency else rng.randrange(5, 50))
        completed = first + timedelta(hours=rng.uniform(0.5, 3) if emergency else rng.uniform(1, 60))
        reported = completed + timedelta(minutes=rng.randrange(10, 160))
        closed = reported + timedelta(hours=rng.uniform(1, 30))
        satisfaction = rng.choices(["satisfied", "basic", "unsatisfied"], weights=[80, 14, 6])[0]
        requests.append(
            ServiceRequest(
                number=f"RX{day:%Y%m%d}{sequence[day]:05d}",
                source=rng.choices(
                    [Source.HOTLINE, Source.GOV_12345, Source.GOV_12319, Source.SERVICE_POINT],
                    weights=[70, 20, 5, 5],
                )[0],
                nature=category.nature,
                kind=category.kind,
                category=category,
                status=Status.CLOSED,
                caller_name=household.contact_name,
                phone=household.phone,
                address=household.address,
                household=household,
                building_id=household.building_id,
                district_id=building.district_id,
                content=rng.choice(CONTENTS[code]).format(t=rng.randrange(12, 19)),
                department=category.department,
                assignee_id=category.department.head_id if category.department else None,
                created_by=operator,
                received_at=received,
                registered_at=registered,
                dispatched_at=registered,
                contacted_at=first,
                arrived_at=first,
                completed_at=completed,
                reported_at=reported,
                closed_at=closed,
                is_late_intake=late,
                cause=causes[rng.choice(CAUSE_OF[code])],
                result="已处理,室温恢复正常",
                is_solved=satisfaction != "unsatisfied" or rng.random() < 0.5,
                satisfaction=satisfaction,
            )
        )
    for r in requests:
        if r.source in (Source.GOV_12345, Source.GOV_12319):
            r.external_id = f"{r.source}-{r.number[2:]}"
    with transaction.atomic():
        ServiceRequest.objects.bulk_create(requests, batch_size=2000)
        clocks: list[Clock] = []
        events: list[RequestEvent] = []
        callbacks: list[Callback] = []
        for r in requests:
            limits: list[tuple[str, dt.datetime, dt.timedelta, dt.datetime]] = [
                (ClockName.INTAKE, r.received_at, timedelta(minutes=5), r.registered_at)
            ]
            assert r.dispatched_at and r.contacted_at and r.completed_at and r.reported_at and r.closed_at
            if r.kind == Kind.EMERGENCY:
                limits += [(ClockName.ARRIVAL, r.dispatched_at, timedelta(hours=1), r.contacted_at),
                           (ClockName.REPORT, r.completed_at, timedelta(hours=2), r.reported_at)]  # fmt: skip
            else:
                limits += [(ClockName.CONTACT, r.dispatched_at, timedelta(minutes=30), r.contacted_at),
                           (ClockName.REPORT, r.completed_at, timedelta(hours=2), r.reported_at)]  # fmt: skip
                if r.category and r.category.is_repair:
                    limits.append((ClockName.REPAIR, r.registered_at, timedelta(hours=48), r.completed_at))
            limits.append((ClockName.CALLBACK, r.reported_at, timedelta(hours=24), r.closed_at))
            for name, started, allowed, met in limits:
                due = started + allowed
                clocks.append(Clock(service_request=r, name=name, round=1, started_at=started, due_at=due,
                                    warn_at=started + allowed * 0.8, met_at=met, breached_at=due if met > due else None))  # fmt: skip
            events.append(RequestEvent(service_request=r, at=r.registered_at, actor=operator, action=Action.REGISTER,
                                       to_status=Status.REGISTERED, note="历史数据导入"))  # fmt: skip
            events.append(RequestEvent(service_request=r, at=r.closed_at, actor=operator, action=Action.CALLBACK,
                                       from_status=Status.REPORTED, to_status=Status.CLOSED, note="历史数据导入"))  # fmt: skip
            callbacks.append(Callback(service_request=r, round=1, at=r.closed_at, by=operator, outcome="answered",
                                      is_solved=r.is_solved, satisfaction=r.satisfaction))  # fmt: skip
        Clock.objects.bulk_create(clocks, batch_size=5000)
        RequestEvent.objects.bulk_create(events, batch_size=5000)
        Callback.objects.bulk_create(callbacks, batch_size=5000)
    progress(f"requests: {len(requests):,} closed requests from {start} ({len(clocks):,} clocks)")


def _hot_spots(*, rng: random.Random, buildings: list[Building], seasons: tuple[int, ...]) -> None:
    """A few buildings where ≥ 10 households complained in a season and pipe blockage recurs (第五条's high-risk areas)."""
    categories = _categories()
    blockage = Cause.objects.get(code="pipe_blockage")
    operator = Staff.objects.get(username="operator")
    rows = []
    sequence = 90000
    for building in buildings:
        households = list(Household.objects.filter(building=building)[:14])
        for year in seasons:
            for household in households[:12]:
                sequence += 1
                received = dt.datetime(year, 12, rng.randrange(1, 28), rng.randrange(7, 22), tzinfo=TZ)
                rows.append(
                    ServiceRequest(
                        number=f"RX{received:%Y%m%d}{sequence:05d}",
                        source=Source.HOTLINE,
                        kind=Kind.ROUTINE,
                        category=categories["low_temperature"],
                        status=Status.CLOSED,
                        caller_name=household.contact_name,
                        phone=household.phone,
                        address=household.address,
                        household=household,
                        building=building,
                        district_id=building.district_id,
                        content="暖气不热,管道可能堵了",
                        created_by=operator,
                        received_at=received,
                        registered_at=received + timedelta(minutes=2),
                        dispatched_at=received + timedelta(minutes=2),
                        completed_at=received + timedelta(hours=20),
                        reported_at=received + timedelta(hours=21),
                        closed_at=received + timedelta(hours=30),
                        cause=blockage,
                        result="清理管道杂质",
                        is_solved=True,
                        satisfaction="basic",
                    )
                )
    ServiceRequest.objects.bulk_create(rows)


def _live(*, rng: random.Random, progress: Progress) -> None:
    """Requests of today through the real services, at every step of the life cycle."""
    operator = Staff.objects.get(username="operator")
    households = list(Household.objects.select_related("building__district").order_by("id")[:400])
    caller = Household.objects.filter(phone=DEMO_CALLER_PHONE).first()
    made: list[ServiceRequest] = []
    codes = list(WEIGHTS)
    for i in range(60):
        household = caller if i == 0 and caller else rng.choice(households)
        code = "low_temperature" if i == 0 else rng.choices(codes, weights=[WEIGHTS[c] for c in codes])[0]
        source = rng.choices([Source.HOTLINE, Source.GOV_12345, Source.GOV_12319], weights=[75, 20, 5])[0]
        service_request, _created = request_register(
            intake=Intake(
                source=source,
                external_id=f"{source}-DEMO{i:04d}" if source != Source.HOTLINE else None,
                phone=household.phone,
                caller_name=household.contact_name,
                household=household.account_number,
                content=rng.choice(CONTENTS[code]).format(t=rng.randrange(13, 19)),
                category=code,
            ),
            by=operator,
        )
        made.append(service_request)
    # Move some along the life cycle, the way field staff and the hotline would.
    for i, service_request in enumerate(made):
        stage = i % 6
        try:
            if stage >= 1:
                service_request = _step(
                    service_request,
                    Action.ARRIVE if service_request.kind == Kind.EMERGENCY else Action.CONTACT,
                )
            if stage >= 2 and service_request.kind == Kind.ROUTINE:
                service_request = _step(service_request, Action.ARRIVE)
            if stage >= 3:
                cause = rng.choice(
                    CAUSE_OF[service_request.category.code if service_request.category else "low_temperature"]
                )
                service_request = _step(
                    service_request, Action.COMPLETE, Params(cause=cause, result="已处理,室温恢复到21度")
                )
            if stage >= 4:
                service_request = _step(service_request, Action.REPORT)
            if stage >= 5:
                service_request = request_transition(
                    service_request=service_request,
                    action=Action.CALLBACK,
                    by=operator,
                    params=Params(solved=True, satisfaction="satisfied"),
                )
        except Exception as error:  # demo data must not stop on one odd request
            progress(f"requests: demo step skipped for {service_request.number}: {error}")
    # Move a third of the open ones back in time, so the queues show warnings and overdue work.
    for service_request in made[::3]:
        _shift(service_request, timedelta(minutes=rng.choice([25, 45, 70, 200, 600])))
    progress(f"requests: {len(made)} live requests registered through the services")


def _step(service_request: ServiceRequest, action: Action, params: Params | None = None) -> ServiceRequest:
    actor = service_request.assignee or Staff.objects.get(username="admin")
    return request_transition(service_request=service_request, action=action, by=actor, params=params)


def _shift(service_request: ServiceRequest, delta: timedelta) -> None:
    """Demo only: pretend a request came in `delta` earlier (all its times move together)."""
    fields = ["received_at", "registered_at", "dispatched_at", "contacted_at", "arrived_at", "completed_at",
              "reported_at", "closed_at", "next_due_at"]  # fmt: skip
    moves: dict[str, Any] = {f: F(f) - delta for f in fields if getattr(service_request, f) is not None}
    ServiceRequest.objects.filter(pk=service_request.pk).update(**moves)
    clock_fields = ["started_at", "due_at", "warn_at", "met_at"]
    for clock in Clock.objects.filter(service_request=service_request):
        Clock.objects.filter(pk=clock.pk).update(
            **{f: F(f) - delta for f in clock_fields if getattr(clock, f) is not None}
        )
    RequestEvent.objects.filter(service_request=service_request).update(at=F("at") - delta)


__all__ = ["person", "populate"]
