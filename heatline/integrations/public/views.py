"""The residents' page (no login, phone first, Chinese)."""

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from heatline.core.errors import InvalidInput
from heatline.incidents.selectors import incidents_public_for_address
from heatline.integrations.forms import CallbackForm, ReportForm, StatusForm
from heatline.integrations.public import selectors
from heatline.integrations.public.services import (
    PublicRefused,
    Report,
    callback_link,
    callback_request,
    lookup_allowed,
    public_callback_answer,
    public_report,
    public_status,
)
from heatline.registry.models import Household
from heatline.requests.models import Status


def _ip(request: HttpRequest) -> str:
    return str(request.META.get("REMOTE_ADDR", ""))


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    """第十条 宣传: the three mechanisms, the hotline, the service halls."""
    return render(
        request,
        "integrations/public/home.html",
        {"hotline": selectors.hotline(), "halls": selectors.halls_active()},
    )


def _categories() -> list[tuple[str, str]]:
    return [(category.code, category.name) for category in selectors.categories_for_residents()]


@require_http_methods(["GET", "POST"])
def report(request: HttpRequest) -> HttpResponse:
    form = ReportForm(request.POST or None, categories=_categories())
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            try:
                service_request = public_report(
                    report=Report(
                        address=data["address"],
                        phone=data["phone"],
                        description=data["description"],
                        category=data["category"] or None,
                        form_id=data["form_id"],
                        honeypot=data["website"],
                    ),
                    ip=_ip(request),
                )
            except PublicRefused as error:
                form.add_error(None, error.message)
                status = 429
            except InvalidInput as error:
                form.add_error(None, error.message)
                status = 422
            else:
                return render(
                    request,
                    "integrations/public/reported.html",
                    {"number": service_request.number, "hotline": selectors.hotline()},
                )
        else:
            status = 422
    return render(request, "integrations/public/report.html", {"form": form}, status=status)


@require_GET
def addresses(request: HttpRequest) -> HttpResponse:
    """HTMX: address options from the register while the resident types."""
    found: list[str] = []
    if lookup_allowed(ip=_ip(request)):
        found = selectors.addresses_matching(q=request.GET.get("address", ""))
    return render(request, "integrations/public/_addresses.html", {"addresses": found})


@require_GET
def outages(request: HttpRequest) -> HttpResponse:
    """停热公告: open faults and announced planned outages at an address of the register (no personal data)."""
    address = request.GET.get("address", "").strip()[:200]
    context: dict[str, object] = {"address": address, "searched": bool(address)}
    code = 200
    if address:
        if not lookup_allowed(ip=_ip(request)):
            context["error"] = _("查询过于频繁,请稍后再试")
            code = 429
        else:
            household = Household.objects.filter(address=address).only("building_id").first()
            if household is None:
                context["error"] = _("未找到该地址,请从下拉列表中选择")
            else:
                context["outages"] = incidents_public_for_address(household)
    return render(request, "integrations/public/outages.html", context, status=code)


@require_http_methods(["GET", "POST"])
def status(request: HttpRequest) -> HttpResponse:
    form = StatusForm(request.POST or None)
    context: dict[str, object] = {"form": form}
    code = 200
    if request.method == "POST" and form.is_valid():
        if not lookup_allowed(ip=_ip(request)):
            form.add_error(None, _("查询过于频繁,请稍后再试"))
            code = 429
        else:
            found = public_status(
                number=form.cleaned_data["number"], phone_tail=form.cleaned_data["phone_tail"]
            )
            if found is None:
                form.add_error(None, _("未找到该工单,请核对工单号和手机号后四位"))
                code = 404
            else:
                context.update(
                    outages=incidents_public_for_address(found.household) if found.household else [],
                    found=found,
                    timeline=selectors.timeline_of(found),
                    callback_url=callback_link(found) if found.status == Status.REPORTED else "",
                )
    return render(request, "integrations/public/status.html", context, status=code)


@require_http_methods(["GET", "POST"])
def callback(request: HttpRequest, token: str) -> HttpResponse:
    """第八条 by web: the resident answers the callback from the link sent by SMS."""
    service_request = callback_request(token)
    if service_request is None:
        return render(request, "integrations/public/callback_gone.html", status=404)
    form = CallbackForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            public_callback_answer(
                token=token,
                solved=form.cleaned_data["solved"],
                satisfaction=form.cleaned_data["satisfaction"],
                comment=form.cleaned_data["comment"],
            )
        except PublicRefused:
            return render(request, "integrations/public/callback_gone.html", status=404)
        messages.success(request, _("感谢您的评价!"))
        return redirect("integrations:public-thanks")
    return render(
        request,
        "integrations/public/callback.html",
        {"form": form, "service_request": service_request},
        status=422 if request.method == "POST" else 200,
    )


@require_GET
def thanks(request: HttpRequest) -> HttpResponse:
    return render(request, "integrations/public/thanks.html", {"hotline": selectors.hotline()})
