"""HTMX pages of 未诉先办: progress, the watch list, an entry, the visit (phone-size), tasks, refunds, import.

Views stay thin: parse → scoped selector (404 outside the viewer's districts) → one service → template.
Domain errors come back as messages on the page, never a 500.
"""

from decimal import Decimal

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from heatline.core.errors import DomainError, NotVisible
from heatline.core.models import HeatingSeason
from heatline.core.rules import rule
from heatline.core.seasons import season_current, season_get
from heatline.proactive import forms as f
from heatline.proactive import services
from heatline.proactive.ledger import (
    ledger_import_confirm,
    ledger_import_upload,
    ledger_import_validate,
    ledger_template_csv,
    ledger_template_xlsx,
)
from heatline.proactive.models import EntryStatus, ImportStatus, LedgerImport, Reading, WatchEntry
from heatline.proactive.refunds import CountingRules, exposure_for
from heatline.proactive.selectors import (
    STAGES,
    entry_get_visible,
    entry_list_visible,
    ledger_export_xlsx,
    progress_by_district,
    readings_of,
    stage_label,
    tasks_for,
)
from heatline.registry.models import District, Household, Staff
from heatline.registry.scoping import scope_by_district

PAGE_SIZE = 50
INLINE_VALIDATE_BYTES = 1024 * 1024  # larger files are checked by the worker, with a progress bar


def _staff(request: HttpRequest) -> Staff:
    if not isinstance(request.user, Staff):
        raise PermissionDenied
    return request.user


def _season(request: HttpRequest) -> HeatingSeason | None:
    year = request.GET.get("season") or request.POST.get("season")
    if year and year.isdigit():
        return season_get(int(year))
    return season_current() or HeatingSeason.objects.order_by("-year").first()


def _entry(pk: int, viewer: Staff) -> WatchEntry:
    try:
        return entry_get_visible(pk=pk, viewer=viewer)
    except NotVisible:
        raise Http404(_("未找到,或不在您的管辖范围内")) from None


def _no_season(request: HttpRequest) -> HttpResponse:
    """No heating season yet (or an unknown ?season=): say so; a named season that does not exist is a 404."""
    status = 404 if request.GET.get("season") else 200
    return render(request, "proactive/no_season.html", status=status)


@login_required
def index(request: HttpRequest) -> HttpResponse:
    """Progress per district and for the company; every number clicks through to its households."""
    viewer = _staff(request)
    season = _season(request)
    if season is None:
        return _no_season(request)
    rows, total = progress_by_district(viewer=viewer, season=season)
    labels = [(stage, stage_label(stage)) for stage in STAGES]

    def cells(counts: dict[str, int]) -> list[tuple[str, str, int]]:
        return [(stage, label, counts[stage]) for stage, label in labels]

    return render(
        request,
        "proactive/index.html",
        {
            "season": season,
            "seasons": HeatingSeason.objects.order_by("-year"),
            "rows": [(row, cells(row.counts)) for row in rows],
            "total_cells": cells(total.counts),
            "stages": labels,
            "may_build": viewer.is_superuser or viewer.role in services.BUILD_ROLES,
        },
    )


@login_required
def entry_list(request: HttpRequest) -> HttpResponse:
    viewer = _staff(request)
    season = _season(request)
    if season is None:
        return _no_season(request)
    district = request.GET.get("district") or ""
    stage = request.GET.get("stage") or ""
    status = request.GET.get("status") or ""
    q = (request.GET.get("q") or "").strip()[:100]
    entries = entry_list_visible(
        viewer=viewer,
        season=season,
        district_id=int(district) if district.isdigit() else None,
        stage=stage or None,
        status=status or None,
        query=q,
    )
    page = Paginator(entries, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "proactive/list.html",
        {
            "season": season,
            "page": page,
            "query": query.urlencode(),
            "districts": scope_by_district(District.objects.order_by("code"), viewer, field="id"),
            "district": district,
            "stage": stage,
            "status": status,
            "q": q,
            "stages": [(s, stage_label(s)) for s in STAGES],
            "statuses": EntryStatus.choices,
            "add_form": f.AddForm(),
            "may_edit": viewer.is_superuser or viewer.role in services.EDIT_ROLES,
        },
    )


@login_required
@require_GET
def export(request: HttpRequest) -> HttpResponse:
    """专项服务台账 (.xlsx)."""
    viewer = _staff(request)
    season = _season(request)
    if season is None:
        return _no_season(request)
    response = HttpResponse(
        ledger_export_xlsx(viewer=viewer, season=season),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    response["Content-Disposition"] = f"attachment; filename=watchlist-{season.year}.xlsx"
    return response


def _flash_error(request: HttpRequest, error: DomainError) -> None:
    messages.error(request, error.message)


@login_required
@require_POST
def build(request: HttpRequest) -> HttpResponseBase:
    viewer = _staff(request)
    season = _season(request)
    if season is None:
        return _no_season(request)
    try:
        result = services.watchlist_build(season=season, by=viewer)
    except DomainError as error:
        _flash_error(request, error)
    else:
        messages.success(
            request,
            _("清单已生成:新加入 %(c)s 户,更新 %(u)s 户,移除 %(d)s 户,共 %(t)s 户")
            % {"c": result.created, "u": result.updated, "d": result.dropped, "t": result.total},
        )
    return redirect(f"{reverse('proactive:index')}?season={season.year}")


@login_required
@require_POST
def add(request: HttpRequest) -> HttpResponseBase:
    viewer = _staff(request)
    season = _season(request)
    if season is None:
        return _no_season(request)
    form = f.AddForm(request.POST)
    target = f"{reverse('proactive:list')}?season={season.year}"
    if not form.is_valid():
        messages.error(request, _("请填写户号和加入原因"))
        return redirect(target)
    household = Household.objects.filter(account_number=form.cleaned_data["account_number"].strip()).first()
    if household is None:
        messages.error(request, _("户号不存在"))
        return redirect(target)
    try:
        entry = services.watch_entry_add(
            season=season, household=household, reason=form.cleaned_data["reason"], by=viewer
        )
    except DomainError as error:
        _flash_error(request, error)
        return redirect(target)
    messages.success(request, _("已加入清单:%(address)s") % {"address": household.address})
    return redirect("proactive:entry", pk=entry.pk)


@login_required
def entry_detail(request: HttpRequest, pk: int) -> HttpResponse:
    viewer = _staff(request)
    entry = _entry(pk, viewer)
    readings = list(readings_of(entry)[:200])
    last_visit_id = _last_visit_id(entry)
    last_rooms = [r.room for r in readings if r.source == "visit" and r.visit_id == last_visit_id]
    exposure = exposure_for(season=entry.season, household_ids=[entry.household_id]).get(entry.household_id)
    return render(
        request,
        "proactive/entry.html",
        {
            "entry": entry,
            "readings": readings,
            "visits": list(entry.visits.select_related("by", "cause", "request").order_by("at")),
            "calls": list(entry.calls.select_related("by")),
            "followups": list(entry.followups.select_related("by")),
            "booking_form": f.BookingForm(),
            "followup_form": f.FollowupForm(),
            "remove_form": f.ReasonForm(),
            "remeasure_form": f.RemeasureForm(rooms=last_rooms or ["暖气片", "客厅"]),
            "exposure": exposure,
            "standard": rule("room_temp_standard"),
            "now": timezone.now(),
            "may_edit": viewer.is_superuser or viewer.role in services.EDIT_ROLES,
            "may_field": viewer.is_superuser or viewer.role in services.FIELD_ROLES,
            "may_call": viewer.is_superuser or viewer.role in services.CALL_ROLES,
        },
    )


def _last_visit_id(entry: WatchEntry) -> int | None:
    return entry.visits.order_by("-at").values_list("id", flat=True).first()


def _act(request: HttpRequest, pk: int, action: str) -> HttpResponseBase:
    viewer = _staff(request)
    entry = _entry(pk, viewer)
    try:
        if action == "booking":
            form = f.BookingForm(request.POST)
            if not form.is_valid():
                messages.error(request, _("请选择预约结果"))
                return redirect("proactive:entry", pk=pk)
            services.booking_record(
                entry=entry,
                by=viewer,
                result=form.cleaned_data["result"],
                new_time=form.cleaned_data.get("new_time"),
                note=form.cleaned_data.get("note") or "",
            )
            messages.success(request, _("预约电话已记录"))
        elif action == "followup":
            form_f = f.FollowupForm(request.POST)
            if not form_f.is_valid():
                messages.error(request, _("请选择回访结果"))
                return redirect("proactive:entry", pk=pk)
            services.followup_record(
                entry=entry,
                by=viewer,
                result=form_f.cleaned_data["result"],
                note=form_f.cleaned_data.get("note") or "",
            )
            messages.success(request, _("电话回访已记录"))
        elif action == "fix":
            services.fix_record(entry=entry, by=viewer, note=request.POST.get("note", "")[:200])
            messages.success(request, _("已记录处理,请于30分钟后复测"))
        elif action == "remove":
            form_r = f.ReasonForm(request.POST)
            if not form_r.is_valid():
                messages.error(request, _("请填写移出原因"))
                return redirect("proactive:entry", pk=pk)
            services.watch_entry_remove(entry=entry, reason=form_r.cleaned_data["reason"], by=viewer)
            messages.success(request, _("已移出清单"))
        elif action == "remeasure":
            rooms = request.POST.getlist("rooms")
            form_m = f.RemeasureForm(request.POST, rooms=rooms)
            if not form_m.is_valid():
                messages.error(request, _("复测温度无效"))
                return redirect("proactive:entry", pk=pk)
            services.remeasure_record(
                entry=entry,
                by=viewer,
                readings=[services.RoomReading(room, t) for room, t in form_m.readings()],
            )
            messages.success(request, _("复测已记录"))
        else:
            raise Http404
    except DomainError as error:
        _flash_error(request, error)
    return redirect("proactive:entry", pk=pk)


@login_required
@require_POST
def act(request: HttpRequest, pk: int, action: str) -> HttpResponseBase:
    return _act(request, pk, action)


@login_required
def visit(request: HttpRequest, pk: int) -> HttpResponse:
    """The visit on a phone: a reading per room, the instrument, cause and action when a room is cold."""
    viewer = _staff(request)
    entry = _entry(pk, viewer)
    status = 200
    if request.method == "POST":
        form = f.VisitForm(request.POST, request.FILES)
        if form.is_valid():
            try:
                services.visit_record(
                    entry=entry,
                    by=viewer,
                    readings=[services.RoomReading(room, t) for room, t in form.readings()],
                    instrument_id=form.cleaned_data["instrument_id"],
                    instrument_certificate=form.cleaned_data.get("instrument_certificate") or "",
                    is_calibrated=bool(form.cleaned_data.get("is_calibrated")),
                    cause=form.cleaned_data["cause"].code if form.cleaned_data.get("cause") else None,
                    action=form.cleaned_data.get("action") or "",
                    action_note=form.cleaned_data.get("action_note") or "",
                    photo=form.cleaned_data.get("photo"),
                )
            except DomainError as error:
                form.add_error(error.field if error.field in form.fields else None, error.message)
                status = error.status
            else:
                messages.success(request, _("上门测温已记录"))
                return redirect("proactive:entry", pk=pk)
        else:
            status = 422
    else:
        form = f.VisitForm()
    return render(
        request,
        "proactive/visit.html",
        {"entry": entry, "form": form, "standard": rule("room_temp_standard")},
        status=status,
    )


@login_required
def tasks(request: HttpRequest) -> HttpResponse:
    """My work today: booking calls, visits, re-measures due, follow-up calls."""
    viewer = _staff(request)
    season = _season(request)
    if season is None:
        return _no_season(request)
    return render(
        request,
        "proactive/tasks.html",
        {
            "season": season,
            "tasks": tasks_for(viewer=viewer, season=season),
            "now": timezone.now(),
            "today": timezone.localdate(),
        },
    )


@login_required
def refunds(request: HttpRequest) -> HttpResponse:
    """Below-standard days per household and the refund share (黑龙江), before a resident claims it."""
    viewer = _staff(request)
    season = _season(request)
    if season is None:
        return _no_season(request)
    visible = scope_by_district(Household.objects.all(), viewer, field="building__district")
    counting = Reading.objects.filter(season=season, counts_for_refund=True, household__in=visible)
    household_ids = list(counting.values_list("household_id", flat=True).distinct().order_by()[:5000])
    rules = CountingRules.current()
    exposures = [
        e
        for e in exposure_for(season=season, household_ids=household_ids, rules=rules).values()
        if e.days_below
    ]
    exposures.sort(key=lambda e: (-e.refund_days, e.household_id))
    page = Paginator(exposures, PAGE_SIZE).get_page(request.GET.get("page"))
    households = Household.objects.in_bulk([e.household_id for e in page.object_list])
    rows = [(households.get(e.household_id), e) for e in page.object_list]
    total_days = sum((e.refund_days for e in exposures), Decimal(0))
    return render(
        request,
        "proactive/refunds.html",
        {
            "season": season,
            "page": page,
            "rows": rows,
            "households": len(exposures),
            "total_days": total_days,
            "rules": rules,
        },
    )


# ------------------------------------------------------------------------------------ ledger import


@login_required
def ledger(request: HttpRequest) -> HttpResponse:
    """Upload → row report (preview) → confirm. Large files are checked by the worker with progress."""
    viewer = _staff(request)
    form = f.UploadForm()
    status = 200
    if request.method == "POST":
        form = f.UploadForm(request.POST, request.FILES)
        if form.is_valid():
            upload = form.cleaned_data["file"]
            try:
                ledger_import = ledger_import_upload(file_name=upload.name, content=upload.read(), by=viewer)
            except DomainError as error:
                form.add_error("file", error.message)
                status = 422
            else:
                if len(ledger_import.content) <= INLINE_VALIDATE_BYTES:
                    ledger_import_validate(ledger_import=ledger_import)
                return redirect("proactive:ledger_import", pk=ledger_import.pk)
        else:
            status = 422
    imports = LedgerImport.objects.filter(uploaded_by=viewer).defer("content")[:20]
    return render(request, "proactive/ledger.html", {"form": form, "imports": imports}, status=status)


def _import(pk: int, viewer: Staff) -> LedgerImport:
    ledger_import = LedgerImport.objects.defer("content").filter(pk=pk).first()
    if ledger_import is None or (ledger_import.uploaded_by_id != viewer.pk and not viewer.is_superuser):
        raise Http404(_("未找到该导入"))
    return ledger_import


@login_required
def ledger_import(request: HttpRequest, pk: int) -> HttpResponse:
    viewer = _staff(request)
    item = _import(pk, viewer)
    template = (
        "proactive/_import_status.html" if request.headers.get("HX-Request") else "proactive/import.html"
    )
    percent = int(item.rows_processed * 100 / item.rows_total) if item.rows_total else 0
    return render(
        request,
        template,
        {"item": item, "errors": item.errors[:500], "percent": min(percent, 100), "statuses": ImportStatus},
    )


@login_required
@require_POST
def ledger_confirm(request: HttpRequest, pk: int) -> HttpResponseBase:
    viewer = _staff(request)
    item = _import(pk, viewer)
    item = LedgerImport.objects.get(pk=item.pk)
    try:
        ledger_import_confirm(ledger_import=item, by=viewer)
    except DomainError as error:
        _flash_error(request, error)
    else:
        messages.success(
            request,
            _("已导入 %(n)s 条读数,已存在 %(d)s 条") % {"n": item.rows_imported, "d": item.rows_duplicate},
        )
    return redirect("proactive:ledger_import", pk=pk)


@login_required
@require_GET
def ledger_template(request: HttpRequest) -> HttpResponse:
    if request.GET.get("format") == "xlsx":
        response = HttpResponse(
            ledger_template_xlsx(),
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
        response["Content-Disposition"] = "attachment; filename=ledger-template.xlsx"
        return response
    response = HttpResponse(ledger_template_csv(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = "attachment; filename=ledger-template.csv"
    return response
