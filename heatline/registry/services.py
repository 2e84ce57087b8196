"""Writes to the organisation and property register."""

import re
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from heatline.core.audit import audit_record
from heatline.core.errors import InvalidInput
from heatline.registry.models import (
    ApiToken,
    Building,
    Company,
    HeatingStatus,
    HeatingStatusChange,
    Household,
    Role,
    Staff,
    StatusSource,
    Unit,
)


def household_address(*, building: Building, unit: Unit | None, room: str) -> str:
    """The household's address text: 小区 + 楼号 + 单元 + 房号, as operators say it."""
    unit_part = f"{unit.number}单元" if unit else ""
    return f"{building.community.name}{building.number}号楼{unit_part}{room}室"


@transaction.atomic
def household_save(*, household: Household, by: Staff | None) -> Household:
    """Save a household; its address must lie in a known building (and unit of that building)."""
    if household.building_id is None:
        raise InvalidInput(_("地址必须属于已登记的楼栋"), field="building")
    building = Building.objects.select_related("community").get(pk=household.building_id)
    unit = household.unit
    if unit is not None and unit.building_id != building.pk:
        raise InvalidInput(_("单元不属于该楼栋"), field="unit")
    if not household.room.strip():
        raise InvalidInput(_("房号不能为空"), field="room")
    household.address = household_address(building=building, unit=unit, room=household.room.strip())
    is_new = household.pk is None
    old = (
        None
        if is_new
        else Household.objects.filter(pk=household.pk)
        .values_list("heating_status", "heating_status_since")
        .first()
    )
    previous = old[0] if old else ""
    # 报停 / 复供 keeps its history (第九条: a dispute shows since when); the date is the admin's, else today.
    changed = (
        household.heating_status != previous if old else household.heating_status == HeatingStatus.STOPPED
    )
    if changed and (
        household.heating_status_since is None or (old and household.heating_status_since == old[1])
    ):
        household.heating_status_since = timezone.localdate()
    household.save()
    if changed:
        HeatingStatusChange.objects.create(
            household=household,
            status=household.heating_status,
            previous=previous,
            since=household.heating_status_since or timezone.localdate(),
            source=StatusSource.ADMIN,
        )
    audit_record(
        by=by,
        obj=household,
        action="create" if is_new else "update",
        extra={"heating_status": [previous, household.heating_status]} if changed else None,
    )
    return household


def api_token_create(*, staff: Staff, name: str = "") -> str:
    """Create a token for `staff`; the secret is returned once and only its digest is kept."""
    secret = ApiToken.new_secret()
    ApiToken.objects.create(staff=staff, name=name, digest=ApiToken.digest_of(secret))
    return secret


PHONE_PATTERN = re.compile(r"^\+?[0-9][0-9-]{4,19}$")


@dataclass(frozen=True)
class Installation:
    company: Company
    admin: Staff
    is_new: bool  # False: a rerun on the installed company (nothing written)


@transaction.atomic
def installation_setup(
    *,
    company_name: str,
    admin_username: str,
    phone: str = "",
    hotline: str = "963000",
    by: Staff | None = None,
) -> Installation:
    """`heatline setup` (issue 18, going live): an empty database gets its company and one administrator
    (superuser, no password: a one-time sign-in link sets it) and nothing else — no demo rows.

    A database that holds another company or a register already is refused; a rerun naming the installed
    company and its administrator changes nothing (the caller prints a new sign-in link)."""
    company_name, admin_username, phone, hotline = (
        company_name.strip(),
        admin_username.strip(),
        phone.strip(),
        hotline.strip(),
    )
    if not company_name or len(company_name) > 100:
        raise InvalidInput(_("公司名称不能为空,且不超过100个字符"), field="company")
    try:
        Staff.username_validator(admin_username)
    except ValidationError as error:
        raise InvalidInput(_("管理员账号无效:只能包含字母、数字和 @.+-_"), field="admin") from error
    if not admin_username or len(admin_username) > 150:
        raise InvalidInput(_("管理员账号不能为空,且不超过150个字符"), field="admin")
    if phone and not PHONE_PATTERN.match(phone):
        raise InvalidInput(_("手机号无效:%(phone)s") % {"phone": phone}, field="phone")
    if not re.fullmatch(r"[0-9-]{3,20}", hotline):
        raise InvalidInput(_("服务热线无效:%(hotline)s") % {"hotline": hotline}, field="hotline")

    companies = list(Company.objects.order_by("pk")[:2])
    if len(companies) == 1 and companies[0].name == company_name:
        admin = Staff.objects.filter(username=admin_username, is_active=True).first()
        if admin is None or not (admin.is_superuser or admin.role == Role.ADMIN):
            raise InvalidInput(
                _("公司“%(company)s”已安装,但 %(username)s 不是它的在岗管理员")
                % {"company": company_name, "username": admin_username},
                field="admin",
            )
        return Installation(company=companies[0], admin=admin, is_new=False)
    if companies:
        raise InvalidInput(
            _("数据库中已有公司“%(company)s”:setup 只用于空数据库") % {"company": companies[0].name},
            field="company",
        )
    if Household.objects.exists():
        raise InvalidInput(_("数据库中已有热用户档案:setup 只用于空数据库"), field="company")
    if Staff.objects.filter(username=admin_username).exists():
        raise InvalidInput(_("账号 %(username)s 已存在") % {"username": admin_username}, field="admin")

    company = Company.objects.create(name=company_name, hotline=hotline)
    audit_record(by=by, obj=company, action="setup", extra={"name": company_name, "hotline": hotline})
    admin = Staff(
        username=admin_username,
        name="系统管理员",
        phone=phone,
        role=Role.ADMIN,
        is_staff=True,
        is_superuser=True,
    )
    admin.set_unusable_password()
    admin.save()
    audit_record(by=by, obj=admin, action="create", extra={"username": admin_username, "role": Role.ADMIN})
    return Installation(company=company, admin=admin, is_new=True)
