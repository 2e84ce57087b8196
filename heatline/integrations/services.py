"""Writes shared by the integrations: the system accounts each channel acts as."""

from django.db import IntegrityError, transaction

from heatline.integrations.models import ExchangeOrder
from heatline.registry.models import Role, Staff

PUBLIC_USERNAME = "public-web"
EXCHANGE_APPROVER_USERNAME = "exchange-approver"


def system_staff(*, username: str, name: str, role: str = Role.OPERATOR) -> Staff:
    """The account a channel acts as (created on demand, cannot sign in: unusable password).

    Every event the channel causes names this account, so the history says where a step came from.
    """
    staff = Staff.objects.filter(username=username).first()
    if staff is not None:
        return staff
    try:
        with transaction.atomic():
            staff = Staff(username=username, name=name, role=role, is_active=True)
            staff.set_unusable_password()
            staff.save()
            return staff
    except IntegrityError:
        return Staff.objects.get(username=username)


def public_staff() -> Staff:
    return system_staff(username=PUBLIC_USERNAME, name="居民自助页面")


def exchange_staff(source: str) -> Staff:
    return system_staff(username=f"exchange-{source}", name=f"{source}平台对接")


def exchange_approver() -> Staff:
    """退单 needs an approver (SPEC §6). An automatic return of an order that is plainly not a heating
    matter is approved by this system account with the department-head role: the rule that returned it
    is written in the event (`extra.rule`), and a human can still see and reopen the case from the log."""
    return system_staff(username=EXCHANGE_APPROVER_USERNAME, name="平台自动退单", role=Role.DEPT_HEAD)


def open311_staff(client: str) -> Staff:
    return system_staff(username=f"open311-{client}"[:150], name=f"Open311:{client}")


def exchange_orders_anonymise(request_ids: list[int]) -> int:
    """The 12345/12319 orders of these requests keep their number and times, not the caller's details."""
    return ExchangeOrder.objects.filter(service_request_id__in=request_ids).update(
        payload={"anonymised": True}
    )
