"""Staff pages of the integrations: deliveries to the platforms (failed ones re-sendable), orders received,
file import when the push is down, Open311 clients."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from heatline.core.errors import InvalidInput
from heatline.integrations import selectors
from heatline.integrations.exchange.services import exchange_import
from heatline.integrations.forms import ImportForm
from heatline.integrations.models import Open311Key
from heatline.outbox.models import Outbox
from heatline.outbox.services import outbox_retry
from heatline.registry.models import Role, Staff

OPERATING_ROLES = frozenset({Role.OPERATOR, Role.DEPT_HEAD, Role.BRANCH, Role.ADMIN})


def may_operate(staff: Staff) -> bool:
    """Re-send deliveries and import platform files: the hotline, heads, branch managers, admins."""
    return staff.is_active and (staff.is_superuser or staff.role in OPERATING_ROLES)


def _staff(request: HttpRequest) -> Staff:
    user = request.user
    assert isinstance(user, Staff)
    return user


@login_required
def index(request: HttpRequest) -> HttpResponse:
    staff = _staff(request)
    return render(
        request,
        "integrations/index.html",
        {
            "counts": selectors.deliveries_counts(),
            "failed": selectors.deliveries_failed(),
            "orders": selectors.orders_recent(),
            "keys": Open311Key.objects.order_by("client"),
            "may_operate": may_operate(staff),
            "import_form": ImportForm(),
        },
    )


@login_required
@require_POST
def resend(request: HttpRequest, pk: int) -> HttpResponse:
    if not may_operate(_staff(request)):
        raise PermissionDenied
    message = get_object_or_404(Outbox, pk=pk, topic="request.moved", delivered_at=None)
    outbox_retry(message=message, now=timezone.now())
    messages.success(request, _("已重新排队发送:%(key)s") % {"key": message.key})
    return redirect("integrations:index")


@login_required
@require_POST
def import_orders(request: HttpRequest) -> HttpResponse:
    staff = _staff(request)
    if not may_operate(staff):
        raise PermissionDenied
    form = ImportForm(request.POST, request.FILES)
    if not form.is_valid():
        messages.error(request, _("请选择文件"))
        return redirect("integrations:index")
    upload = form.cleaned_data["file"]
    try:
        result = exchange_import(name=upload.name or "", content=upload.read(), by=staff)
    except InvalidInput as error:
        messages.error(request, error.message)
        return redirect("integrations:index")
    messages.success(
        request,
        _("导入完成:新受理%(created)s件,重复%(duplicate)s件,退单%(returned)s件,错误%(errors)s行")
        % {
            "created": result.created,
            "duplicate": result.duplicate,
            "returned": result.returned,
            "errors": len(result.errors),
        },
    )
    for line in result.errors[:20]:
        messages.warning(request, line)
    return redirect("integrations:index")
