"""Demo register: a Heihe-like utility, deterministic from a seed, bulk-inserted so 200,000 households take seconds.

Sizes scale with the household count: ~33 households a building, ~10 buildings a community,
~5 communities a station; 2 branches, 8 districts.
"""

import datetime as dt
import random
from collections.abc import Callable
from decimal import Decimal
from functools import cache
from typing import Any

from django.contrib.auth.hashers import make_password
from django.db import connection, transaction
from django.utils import timezone

from heatline.core.models import HeatingSeason
from heatline.registry import models as m
from heatline.registry.services import household_address

DEMO_PASSWORD = "heatline-demo"
Progress = Callable[[str], None]

BRANCHES = [("B01", "江北分公司"), ("B02", "江南分公司")]
DISTRICTS = [
    ("D01", "爱辉片区", 0), ("D02", "西岗子片区", 0), ("D03", "海兰片区", 0), ("D04", "兴安片区", 0),
    ("D05", "花园片区", 1), ("D06", "通江片区", 1), ("D07", "幸福片区", 1), ("D08", "大河片区", 1),
]  # fmt: skip
DEPARTMENTS = [("KF", "客服科"), ("SF", "收费科"), ("GW", "管网科"), ("YX", "运行科")]
ESTATE_WORDS = [
    "阳光",
    "幸福",
    "和平",
    "锦绣",
    "金河",
    "北岸",
    "江畔",
    "兴隆",
    "东方",
    "明珠",
    "翠园",
    "华府",
    "康乐",
    "松江",
    "瑷珲",
    "龙江",
    "嘉园",
    "丽景",
    "富民",
    "长青",
]
ESTATE_SUFFIX = ["小区", "花园", "家园", "新村", "佳苑"]
SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕".replace(
    "", " "
).split()
GIVEN = [
    "伟",
    "芳",
    "娜",
    "敏",
    "静",
    "丽",
    "强",
    "磊",
    "军",
    "洋",
    "勇",
    "艳",
    "杰",
    "娟",
    "涛",
    "明",
    "超",
    "秀英",
    "华",
    "平",
    "刚",
    "桂英",
    "建国",
    "淑珍",
    "玉兰",
    "志强",
]

# Fixed demo accounts (README): username → (role, display name)
ACCOUNTS = {
    "admin": (m.Role.ADMIN, "系统管理员"),
    "operator": (m.Role.OPERATOR, "王话务"),
    "district": (m.Role.DISTRICT, "李片长"),
    "depthead": (m.Role.DEPT_HEAD, "张科长"),
    "crew": (m.Role.CREW, "赵队长"),
    "branch": (m.Role.BRANCH, "刘经理"),
    "inspector": (m.Role.INSPECTOR, "孙技术员"),
    "manager": (m.Role.MANAGER, "陈总"),
}
# The caller pop-up demo: this phone belongs to a household with history (the first household).
DEMO_CALLER_PHONE = "13904560001"


def person(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + rng.choice(GIVEN)


def mobile(rng: random.Random) -> str:
    return (
        rng.choice(["138", "139", "135", "150", "158", "187", "133", "177"]) + f"{rng.randrange(10**8):08d}"
    )


@cache
def _demo_password_hash() -> str:
    """Hashed once (argon2 is slow on purpose); every demo account shares the demo password."""
    return make_password(DEMO_PASSWORD)


def _staff(username: str, role: str, name: str, **fields: object) -> m.Staff:
    staff, created = m.Staff.objects.get_or_create(
        username=username, defaults={"role": role, "name": name, **fields}
    )
    if created:
        staff.password = _demo_password_hash()
        if role == m.Role.ADMIN:
            staff.is_staff = staff.is_superuser = True
        staff.save()
    return staff


@transaction.atomic
def populate_organisation(*, rng: random.Random, progress: Progress) -> None:
    company, _ = m.Company.objects.get_or_create(
        name="黑河市热电有限责任公司", defaults={"hotline": "963000"}
    )
    branches = [
        m.Branch.objects.get_or_create(code=code, defaults={"company": company, "name": name})[0]
        for code, name in BRANCHES
    ]
    districts = [
        m.District.objects.get_or_create(code=code, defaults={"branch": branches[b], "name": name})[0]
        for code, name, b in DISTRICTS
    ]
    departments = {
        code: m.Department.objects.get_or_create(code=code, defaults={"name": name})[0]
        for code, name in DEPARTMENTS
    }
    crews = [
        m.Team.objects.get_or_create(
            code=f"QX{i + 1}",
            defaults={"name": f"{b.name}供热抢修突击队", "kind": m.TeamKind.REPAIR_CREW, "branch": b},
        )[0]
        for i, b in enumerate(branches)
    ]
    m.Team.objects.get_or_create(code="PC1", defaults={"name": "隐患排查队", "kind": m.TeamKind.INSPECTION})

    # The fixed demo accounts.
    accounts = {
        "admin": _staff("admin", m.Role.ADMIN, "系统管理员"),
        "operator": _staff("operator", m.Role.OPERATOR, "王话务"),
        "district": _staff("district", m.Role.DISTRICT, "李片长", district=districts[0], branch=branches[0]),
        "depthead": _staff("depthead", m.Role.DEPT_HEAD, "张科长", department=departments["KF"]),
        "crew": _staff("crew", m.Role.CREW, "赵队长", team=crews[0], branch=branches[0]),
        "branch": _staff("branch", m.Role.BRANCH, "刘经理", branch=branches[0]),
        "inspector": _staff("inspector", m.Role.INSPECTOR, "孙技术员", team=m.Team.objects.get(code="PC1")),
        "manager": _staff("manager", m.Role.MANAGER, "陈总"),
    }
    # Everyone else: operators, a responsible person and two workers a district, heads, crew members.
    for i in range(2, 7):
        _staff(f"operator{i}", m.Role.OPERATOR, person(rng))
    for index, district in enumerate(districts):
        responsible = (
            accounts["district"]
            if index == 0
            else _staff(
                f"district{index + 1}",
                m.Role.DISTRICT,
                person(rng),
                district=district,
                branch=district.branch,
            )
        )
        if district.responsible_id is None:
            district.responsible = responsible
            district.save(update_fields=["responsible"])
        for w in (1, 2):
            _staff(
                f"worker{index + 1}_{w}",
                m.Role.WORKER,
                person(rng),
                district=district,
                branch=district.branch,
            )
    heads = {"KF": accounts["depthead"]}
    for code in ("SF", "GW", "YX"):
        heads[code] = _staff(
            f"head_{code.lower()}", m.Role.DEPT_HEAD, person(rng), department=departments[code]
        )
    for code, department in departments.items():
        if department.head_id is None:
            department.head = heads[code]
            department.save(update_fields=["head"])
    for i, crew in enumerate(crews):
        leader = (
            accounts["crew"]
            if i == 0
            else _staff(f"crew{i + 1}", m.Role.CREW, person(rng), team=crew, branch=crew.branch)
        )
        if crew.leader_id is None:
            crew.leader = leader
            crew.save(update_fields=["leader"])
        for j in range(1, 4):
            _staff(f"crew{i + 1}_{j}", m.Role.CREW, person(rng), team=crew, branch=crew.branch)
    if branches[0].manager_id is None:
        branches[0].manager = accounts["branch"]
        branches[0].save(update_fields=["manager"])
    if branches[1].manager_id is None:
        branches[1].manager = _staff("branch2", m.Role.BRANCH, person(rng), branch=branches[1])
        branches[1].save(update_fields=["manager"])
    for i in range(2, 5):
        _staff(f"inspector{i}", m.Role.INSPECTOR, person(rng))

    # Categories → departments (the reference categories come with the migrations).
    from heatline.requests.models import Category

    mapping = {
        "billing": "SF",
        "suspension": "SF",
        "network_leak": "GW",
        "indoor_leak": "GW",
        "heating_complaint": "KF",
    }
    for category in Category.objects.filter(department=None):
        category.department = departments[mapping.get(category.code, "YX")]
        category.save(update_fields=["department"])

    # Partner bodies for joint work.
    for district in districts:
        street, _ = m.PartnerBody.objects.get_or_create(
            kind=m.PartnerKind.STREET,
            name=f"{district.name[:-2]}街道社区",
            defaults={"contact_name": person(rng), "phone": "0456-" + str(rng.randrange(8200000, 8299999))},
        )
        street.districts.add(district)
        police, _ = m.PartnerBody.objects.get_or_create(
            kind=m.PartnerKind.POLICE,
            name=f"{district.name[:-2]}派出所",
            defaults={"contact_name": person(rng), "phone": "0456-" + str(rng.randrange(8300000, 8399999))},
        )
        police.districts.add(district)
    for name in ("龙城物业", "安居物业", "宏达物业", "北国物业"):
        m.PartnerBody.objects.get_or_create(
            kind=m.PartnerKind.PROPERTY,
            name=name,
            defaults={"contact_name": person(rng), "phone": mobile(rng)},
        )
    m.PartnerBody.objects.get_or_create(
        kind=m.PartnerKind.HOUSING_BUREAU, name="黑河市住房和城乡建设局", defaults={"phone": "0456-8223000"}
    )
    m.PartnerBody.objects.get_or_create(
        kind=m.PartnerKind.HEATING_OFFICE, name="黑河市供热办", defaults={"phone": "0456-8224000"}
    )

    # Heating seasons: Heihe's official season runs 1 October – 30 April.
    for year in (2024, 2025, 2026):
        HeatingSeason.objects.get_or_create(
            year=year,
            defaults={
                "trial_start": dt.date(year, 9, 25),
                "first_heating_day": dt.date(year, 10, 1),
                "last_day": dt.date(year + 1, 4, 30),
            },
        )
    progress(
        f"organisation: {len(branches)} branches, {len(districts)} districts, {m.Staff.objects.count()} staff"
    )


def populate_property(*, rng: random.Random, progress: Progress, households: int) -> None:
    """Stations, communities, buildings, units, households and pipe sections, in bulk."""
    if m.Household.objects.exists():
        progress(f"property: already there ({m.Household.objects.count():,} households), nothing added")
        return
    districts = list(m.District.objects.select_related("branch").order_by("code"))
    properties = list(m.PartnerBody.objects.filter(kind=m.PartnerKind.PROPERTY))
    streets = {d.pk: d.partnerbody_set.filter(kind=m.PartnerKind.STREET).first() for d in districts}
    n_buildings = max(1, round(households / 33))
    n_communities = max(1, round(n_buildings / 10))
    n_stations = max(1, round(n_communities / 5))

    with transaction.atomic():
        stations = m.Station.objects.bulk_create(
            [
                m.Station(
                    code=f"S{i + 1:03d}",
                    name=f"{ESTATE_WORDS[i % 20]}{i // 20 + 1}号换热站",
                    branch=districts[i % len(districts)].branch,
                )
                for i in range(n_stations)
            ]
        )
        communities = []
        for i in range(n_communities):
            district = districts[i % len(districts)]
            name = f"{ESTATE_WORDS[i % 20]}{ESTATE_SUFFIX[(i // 20) % 5]}" + (
                f"{i // 100 + 1}期" if i >= 100 else ""
            )
            communities.append(
                m.Community(
                    code=f"C{i + 1:04d}",
                    name=name,
                    district=district,
                    street=streets[district.pk],
                    property_company=rng.choice(properties) if properties else None,
                    is_old_estate=rng.random() < 0.3,
                )
            )
        communities = m.Community.objects.bulk_create(communities)
        progress(f"property: {n_stations} stations, {n_communities} communities")
        station_of = {c.pk: stations[i // 5 % len(stations)] for i, c in enumerate(communities)}
        buildings = [
            m.Building(
                community=communities[i % n_communities],
                number=str(i // n_communities + 1),
                district_id=communities[i % n_communities].district_id,
                station=station_of[communities[i % n_communities].pk],
                floors=rng.choice([6, 6, 7, 11, 18]),
                built_year=rng.randrange(1985, 2022),
            )
            for i in range(n_buildings)
        ]
        buildings = m.Building.objects.bulk_create(buildings, batch_size=2000)
        units = m.Unit.objects.bulk_create(
            [m.Unit(building=b, number=str(u)) for b in buildings for u in range(1, 4)], batch_size=5000
        )
        units_of: dict[int, list[m.Unit]] = {}
        for unit in units:
            units_of.setdefault(unit.building_id, []).append(unit)
        progress(f"property: {n_buildings:,} buildings, {len(units):,} units")

        community_of = {c.pk: c for c in communities}
        # Plain parameterised INSERTs (executemany): model instances cost more than the database here.
        columns = (
            "created_at", "updated_at", "account_number", "building_id", "unit_id", "room", "address",
            "contact_name", "phone", "phone2", "heating_status", "heated_area", "indoor_pipe_owner", "notes",
        )  # fmt: skip
        sql = (
            f"INSERT INTO {m.Household._meta.db_table} ({', '.join(columns)}) "
            f"VALUES ({', '.join(['%s'] * len(columns))})"
        )
        stamp = connection.ops.adapt_datetimefield_value(timezone.now())
        areas = {a: connection.ops.adapt_decimalfield_value(Decimal(a), 8, 2) for a in range(45, 140)}
        batch: list[tuple[Any, ...]] = []
        made = 0
        account = 20000001
        per_building = households // n_buildings
        extra = households - per_building * n_buildings
        with connection.cursor() as cursor:
            for index, building in enumerate(buildings):
                building.community = community_of[building.community_id]
                count = per_building + (1 if index < extra else 0)
                for k in range(count):
                    unit = units_of[building.pk][k % 3]
                    room = f"{k // 6 + 1}{k % 2 + 1:02d}" if building.floors else f"{k + 1}"
                    phone = DEMO_CALLER_PHONE if made == 0 else mobile(rng)
                    status = m.HeatingStatus.STOPPED if rng.random() < 0.04 else m.HeatingStatus.HEATING
                    batch.append(
                        (
                            stamp,
                            stamp,
                            str(account),
                            building.pk,
                            unit.pk,
                            room,
                            household_address(building=building, unit=unit, room=room),
                            person(rng),
                            phone,
                            "",
                            str(status),
                            areas[rng.randrange(45, 140)],
                            str(m.PipeOwner.HOUSEHOLD),
                            "",
                        )
                    )
                    account += 1
                    made += 1
                if len(batch) >= 10000:
                    cursor.executemany(sql, batch)
                    batch = []
                    progress(f"property: {made:,}/{households:,} households")
            cursor.executemany(sql, batch)
        progress(f"property: {made:,} households")

        # Heated areas: communities and stations carry the sum of their households'.
        from django.db.models import Sum

        sums = dict(
            m.Household.objects.values_list("building__community")
            .annotate(a=Sum("heated_area"))
            .values_list("building__community", "a")
        )
        for community in communities:
            community.heated_area = sums.get(community.pk) or 0
        m.Community.objects.bulk_update(communities, ["heated_area"], batch_size=2000)
        station_sums = dict(
            m.Household.objects.values_list("building__station")
            .annotate(a=Sum("heated_area"))
            .values_list("building__station", "a")
        )
        for station in stations:
            station.heated_area = station_sums.get(station.pk) or 0
        m.Station.objects.bulk_update(stations, ["heated_area"])

        # Pipe sections: three a station, each feeding a slice of its buildings; one in four owned by a property company.
        buildings_of_station: dict[int, list[m.Building]] = {}
        for building in buildings:
            if building.station_id is not None:
                buildings_of_station.setdefault(building.station_id, []).append(building)
        sections = []
        for station in stations:
            for s in range(3):
                other = rng.random() < 0.25 and properties
                sections.append(
                    m.PipeSection(
                        code=f"{station.code}-P{s + 1}",
                        name=f"{station.name}{s + 1}号支线",
                        station=station,
                        owner=m.PipeOwner.OTHER if other else m.PipeOwner.COMPANY,
                        owner_partner=rng.choice(properties) if other else None,
                        diameter_mm=rng.choice([80, 100, 150, 200, 250]),
                        length_m=Decimal(rng.randrange(80, 900)),
                        laid_year=rng.randrange(1990, 2020),
                    )
                )
        sections = m.PipeSection.objects.bulk_create(sections)
        through = m.PipeSection.buildings.through
        links: list[Any] = []
        for section in sections:
            fed = buildings_of_station.get(section.station_id or 0, [])
            part = int(section.code[-1]) - 1
            links.extend(through(pipesection_id=section.pk, building_id=b.pk) for b in fed[part::3])
        through.objects.bulk_create(links, batch_size=5000)
    progress(f"property: {len(sections)} pipe sections")
