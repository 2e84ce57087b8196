"""Factories of the register. `org()` builds a small utility: one of everything, wired together."""

from dataclasses import dataclass
from typing import Any

import factory

from heatline.registry import models as m
from heatline.registry.services import household_address


class CompanyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = m.Company
        django_get_or_create = ("name",)

    name = "黑河市热电有限责任公司"


class BranchFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = m.Branch

    company = factory.SubFactory(CompanyFactory)
    code = factory.Sequence(lambda n: f"B{n:02d}")
    name = factory.Sequence(lambda n: f"第{n}分公司")


class DistrictFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = m.District

    branch = factory.SubFactory(BranchFactory)
    code = factory.Sequence(lambda n: f"D{n:03d}")
    name = factory.Sequence(lambda n: f"片区{n}")


class DepartmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = m.Department

    code = factory.Sequence(lambda n: f"DEP{n:02d}")
    name = factory.Sequence(lambda n: f"科室{n}")


class TeamFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = m.Team

    code = factory.Sequence(lambda n: f"T{n:02d}")
    name = factory.Sequence(lambda n: f"抢修队{n}")
    kind = m.TeamKind.REPAIR_CREW


class StaffFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = m.Staff
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"staff{n}")
    name = factory.Sequence(lambda n: f"员工{n}")
    role = m.Role.OPERATOR
    password = factory.django.Password("heatline-test")


class PartnerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = m.PartnerBody

    kind = m.PartnerKind.STREET
    name = factory.Sequence(lambda n: f"街道社区{n}")
    contact_name = "王主任"
    phone = "04566000000"


class StationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = m.Station

    code = factory.Sequence(lambda n: f"S{n:03d}")
    name = factory.Sequence(lambda n: f"换热站{n}")
    branch = factory.SubFactory(BranchFactory)
    heated_area = 50000


class CommunityFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = m.Community

    code = factory.Sequence(lambda n: f"C{n:04d}")
    name = factory.Sequence(lambda n: f"幸福{n}小区")
    district = factory.SubFactory(DistrictFactory)
    heated_area = 20000


class BuildingFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = m.Building

    community = factory.SubFactory(CommunityFactory)
    number = factory.Sequence(lambda n: str(n + 1))
    district = factory.LazyAttribute(lambda o: o.community.district)
    station = None


class UnitFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = m.Unit

    building = factory.SubFactory(BuildingFactory)
    number = "1"


class HouseholdFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = m.Household

    account_number = factory.Sequence(lambda n: f"{1000000 + n}")
    building = factory.SubFactory(BuildingFactory)
    unit = None
    room = factory.Sequence(lambda n: f"{100 + n % 6 * 100 + n % 2 + 1}")
    address = factory.LazyAttribute(
        lambda o: household_address(building=o.building, unit=o.unit, room=o.room)
    )
    contact_name = "张三"
    phone = factory.Sequence(lambda n: f"138{n:08d}")
    heated_area = 80


class PipeSectionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = m.PipeSection

    code = factory.Sequence(lambda n: f"P{n:04d}")
    name = factory.Sequence(lambda n: f"管段{n}")
    owner = m.PipeOwner.COMPANY


@dataclass
class Org:
    """A small utility: one branch with two districts, a department, a crew, and a person for every role."""

    branch: m.Branch
    district: m.District
    other_district: m.District
    department: m.Department
    crew: m.Team
    station: m.Station
    community: m.Community
    building: m.Building
    household: m.Household
    other_household: m.Household
    operator: m.Staff
    responsible: m.Staff
    worker: m.Staff
    other_responsible: m.Staff
    dept_head: m.Staff
    crew_leader: m.Staff
    crew_member: m.Staff
    branch_manager: m.Staff
    inspector: m.Staff
    manager: m.Staff
    admin: m.Staff

    def __getitem__(self, key: str) -> Any:
        return getattr(self, key)


def org() -> Org:
    branch = BranchFactory()
    district = DistrictFactory(branch=branch, name="江北片区")
    other_district = DistrictFactory(branch=branch, name="江南片区")
    department = DepartmentFactory(name="客服科")
    crew = TeamFactory(branch=branch, name="供热抢修突击队")
    staff = {
        "operator": StaffFactory(username="t_operator", role=m.Role.OPERATOR, name="话务员甲"),
        "responsible": StaffFactory(
            username="t_district", role=m.Role.DISTRICT, district=district, branch=branch, name="片区长甲"
        ),
        "worker": StaffFactory(
            username="t_worker", role=m.Role.WORKER, district=district, branch=branch, name="维修工甲"
        ),
        "other_responsible": StaffFactory(
            username="t_district2",
            role=m.Role.DISTRICT,
            district=other_district,
            branch=branch,
            name="片区长乙",
        ),
        "dept_head": StaffFactory(
            username="t_depthead", role=m.Role.DEPT_HEAD, department=department, name="科长甲"
        ),
        "crew_leader": StaffFactory(username="t_crew", role=m.Role.CREW, team=crew, name="队长甲"),
        "crew_member": StaffFactory(username="t_crew2", role=m.Role.CREW, team=crew, name="队员甲"),
        "branch_manager": StaffFactory(username="t_branch", role=m.Role.BRANCH, branch=branch, name="经理甲"),
        "inspector": StaffFactory(username="t_inspector", role=m.Role.INSPECTOR, name="巡检员甲"),
        "manager": StaffFactory(username="t_manager", role=m.Role.MANAGER, name="总经理"),
        "admin": StaffFactory(
            username="t_admin", role=m.Role.ADMIN, is_staff=True, is_superuser=True, name="管理员"
        ),
    }
    district.responsible = staff["responsible"]
    district.save()
    other_district.responsible = staff["other_responsible"]
    other_district.save()
    department.head = staff["dept_head"]
    department.save()
    crew.leader = staff["crew_leader"]
    crew.save()
    branch.manager = staff["branch_manager"]
    branch.save()
    station = StationFactory(branch=branch)
    community = CommunityFactory(district=district)
    building = BuildingFactory(community=community, station=station)
    household = HouseholdFactory(building=building, phone="13800000001", contact_name="李四")
    other_building = BuildingFactory(community=CommunityFactory(district=other_district), station=station)
    other_household = HouseholdFactory(building=other_building, phone="13900000002")
    return Org(
        branch=branch,
        district=district,
        other_district=other_district,
        department=department,
        crew=crew,
        station=station,
        community=community,
        building=building,
        household=household,
        other_household=other_household,
        **staff,
    )
