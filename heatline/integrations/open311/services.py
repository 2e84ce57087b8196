"""Writes of the Open311 endpoint: client keys and posted requests (same life cycle as any request)."""

import re
import secrets
from collections.abc import Mapping

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from heatline.core.errors import InvalidInput
from heatline.integrations.models import Open311Key, Open311Submission
from heatline.integrations.open311.selectors import service_get
from heatline.integrations.services import open311_staff
from heatline.maps.services import building_nearest
from heatline.registry.models import Building
from heatline.requests.models import Source
from heatline.requests.services import Intake, request_register

CLIENT_NAME = re.compile(r"^[A-Za-z0-9_.-]{1,40}$")


class Open311Error(Exception):
    def __init__(self, status: int, description: str) -> None:
        super().__init__(description)
        self.status = status
        self.description = description


@transaction.atomic
def open311key_issue(*, client: str) -> tuple[Open311Key, str]:
    """One key per client: issuing again replaces (rotates) the client's key. Returns (row, secret)."""
    client = client.strip()
    if not CLIENT_NAME.match(client):
        raise InvalidInput(_("客户端名称只能包含字母、数字、点、横线和下划线(最多40个字符)"), field="client")
    secret = Open311Key.new_secret()
    now = timezone.now()
    key, _created = Open311Key.objects.update_or_create(
        client=client,
        defaults={
            "digest": Open311Key.digest_of(secret),
            "prefix": secret[:9],
            "staff": open311_staff(client),
            "is_active": True,
            "created_at": now,
            "revoked_at": None,
        },
    )
    return key, secret


def open311key_revoke(*, key: Open311Key) -> Open311Key:
    Open311Key.objects.filter(pk=key.pk).update(is_active=False, revoked_at=timezone.now())
    key.refresh_from_db()
    return key


def _field(form: Mapping[str, str], name: str, limit: int) -> str:
    value = (form.get(name) or "").strip()
    if "\x00" in value:
        raise Open311Error(400, _("%(field)s 含非法字符") % {"field": name})
    if len(value) > limit:
        raise Open311Error(400, _("%(field)s 过长") % {"field": name})
    return value


def _building_at(form: Mapping[str, str]) -> Building | None:
    """POST lat/long: the registered building within 50 m of the point, nearest first (None if none).

    A hotline would rather have the report than lose it: with an address_string and no building near the
    point, the request is still registered on its address text (and the operator places it)."""
    lat, lon = _field(form, "lat", 30), _field(form, "long", 30)
    if not lat and not lon:
        return None
    if not lat or not lon:
        raise Open311Error(400, _("lat 和 long 须同时提供"))
    try:
        return building_nearest(lon=float(lon), lat=float(lat))
    except ValueError:
        raise Open311Error(400, _("lat/long 须为数字")) from None
    except InvalidInput as error:
        raise Open311Error(400, error.message) from None


def open311_submit(*, key: Open311Key, form: Mapping[str, str]) -> Open311Submission:
    """POST requests: a resident's report from a civic client, registered and dispatched like a call."""
    service_code = _field(form, "service_code", 30)
    if not service_code:
        raise Open311Error(400, _("缺少 service_code"))
    category = service_get(service_code)
    if category is None:
        raise Open311Error(404, _("service_code 不存在:%(code)s") % {"code": service_code})
    description = _field(form, "description", 4000)
    if not description:
        raise Open311Error(400, _("缺少 description"))
    phone = _field(form, "phone", 20)
    if not phone:
        raise Open311Error(400, _("缺少 phone(回访须联系电话)"))
    address = _field(form, "address_string", 200)
    account = _field(form, "address_id", 20)
    building = None if account else _building_at(form)
    if not address and not account and building is None:
        if _field(form, "lat", 30) or _field(form, "long", 30):
            raise Open311Error(
                400, _("lat/long 周边 50 米内没有登记楼栋:请提供 address_string 或 address_id")
            )
        raise Open311Error(400, _("缺少 address_string 或 address_id(仅经纬度无法定位到户)"))
    if building is not None and not address:
        address = str(building)
    name = (_field(form, "last_name", 25) + _field(form, "first_name", 25)).strip()
    extras = []
    temperature = _field(form, "attribute[room_temperature]", 10)
    if temperature:
        try:
            extras.append(_("室温%(t)s℃") % {"t": float(temperature)})
        except ValueError:
            raise Open311Error(400, _("attribute[room_temperature] 须为数字")) from None
    wants = _field(form, "attribute[wants_callback]", 5)
    if wants not in ("", "yes", "no"):
        raise Open311Error(400, _("attribute[wants_callback] 须为 yes 或 no"))
    media = _field(form, "media_url", 500)
    if media:
        extras.append(_("图片:%(url)s") % {"url": media})
    content = description + ("(" + ";".join(extras) + ")" if extras else "")
    token = secrets.token_hex(16)
    try:
        with transaction.atomic():
            service_request, _created = request_register(
                intake=Intake(
                    source=Source.OPEN311,
                    external_id=f"{key.client}:{token}",
                    phone=phone,
                    content=content[:4000],
                    caller_name=name,
                    address=address,
                    household=account or None,
                    building_id=building.pk if building is not None else None,
                    category=category.code,
                    wants_callback=wants != "no",
                ),
                by=key.staff,
            )
            return Open311Submission.objects.create(
                token=token,
                key=key,
                service_request=service_request,
                jurisdiction_id=_field(form, "jurisdiction_id", 64),
                created_at=timezone.now(),
            )
    except InvalidInput as error:
        raise Open311Error(400, error.message) from None
