"""/setup/imports/: the administrator's imports on the page (templates, upload, progress, row report, write)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from heatline.core.errors import InvalidInput
from heatline.core.imports import TEMPLATES, data_import_confirm, data_import_upload
from heatline.core.models import DataImport, DataImportStatus, ImportKind
from heatline.core.views import is_administrator

RUNNING = (DataImportStatus.QUEUED, DataImportStatus.RUNNING)


def _administrator(request: HttpRequest) -> None:
    if not is_administrator(request.user):
        raise PermissionDenied


@login_required
def imports(request: HttpRequest) -> HttpResponse:
    _administrator(request)
    return render(
        request,
        "core/imports.html",
        {
            "kinds": ImportKind.choices,
            "recent": DataImport.objects.select_related("by").defer("content")[:20],
            "running": RUNNING,
        },
    )


@login_required
def template(request: HttpRequest, kind: str, extension: str) -> HttpResponse:
    _administrator(request)
    if kind not in TEMPLATES or extension not in ("xlsx", "csv"):
        raise Http404
    builder = import_string(TEMPLATES[ImportKind(kind)][0 if extension == "xlsx" else 1])
    content_type = (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        if extension == "xlsx"
        else "text/csv"
    )
    response = HttpResponse(builder(), content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="heatline-{kind}-template.{extension}"'
    return response


@login_required
@require_POST
def upload(request: HttpRequest, kind: str) -> HttpResponseBase:
    _administrator(request)
    uploaded = request.FILES.get("file")
    if uploaded is None:
        messages.error(request, _("请选择文件"))
        return redirect("setup_imports")
    try:
        record = data_import_upload(
            kind=kind,
            file_name=uploaded.name or "",
            content=uploaded.read(),
            by=request.user,
            send_sms=request.POST.get("send_sms") == "on",
        )
    except InvalidInput as error:
        messages.error(request, error.message)
        return redirect("setup_imports")
    return redirect("setup_import", pk=record.pk)


@login_required
def detail(request: HttpRequest, pk: int) -> HttpResponse:
    _administrator(request)
    record = get_object_or_404(DataImport.objects.defer("content"), pk=pk)
    percent = int(record.rows_processed * 100 / record.rows_total) if record.rows_total else 0
    template_name = "core/_import_status.html" if request.headers.get("HX-Request") else "core/import.html"
    return render(
        request,
        template_name,
        {
            "item": record,
            "report": record.report or {},
            "created": [(name, n) for name, n in (record.report or {}).get("created", {}).items() if n],
            "updated": [(name, n) for name, n in (record.report or {}).get("updated", {}).items() if n],
            "percent": min(percent, 100),
            "statuses": DataImportStatus,
            "running": record.status in RUNNING,
        },
    )


@login_required
@require_POST
def confirm(request: HttpRequest, pk: int) -> HttpResponseBase:
    _administrator(request)
    record = get_object_or_404(DataImport.objects.defer("content"), pk=pk)
    try:
        data_import_confirm(record=record, by=request.user)
    except InvalidInput as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("已确认,正在写入。"))
    return redirect("setup_import", pk=pk)
