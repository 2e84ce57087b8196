"""Writes to the organisation and property register."""

from django.db import transaction
from django.utils.translation import gettext as _

from heatline.core.audit import audit_record
from heatline.core.errors import InvalidInput
from heatline.registry.models import ApiToken, Building, Household, Staff, Unit


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
    household.save()
    audit_record(by=by, obj=household, action="create" if is_new else "update")
    return household


def api_token_create(*, staff: Staff, name: str = "") -> str:
    """Create a token for `staff`; the secret is returned once and only its digest is kept."""
    secret = ApiToken.new_secret()
    ApiToken.objects.create(staff=staff, name=name, digest=ApiToken.digest_of(secret))
    return secret
