"""API of the imports (issue 18): a script of the utility's IT sends the billing system's nightly export
(or the staff list, or a 12345 history file) and follows the run — the same runs as /setup/imports/."""

from typing import Any, Literal

from django.http import HttpRequest
from ninja import File, Form, Router, Schema
from ninja import Status as HttpStatus
from ninja.files import UploadedFile

from heatline.api import current_staff
from heatline.core.errors import ActionForbidden, NotVisible
from heatline.core.imports import data_import_upload
from heatline.core.models import DataImport
from heatline.registry.models import Role, Staff

router = Router(tags=["imports"])


class ImportOut(Schema):
    id: int
    kind: str
    file_name: str
    status: str
    commit_requested: bool
    committed: bool
    rows_total: int
    rows_processed: int
    message: str
    report: dict[str, Any]


def _administrator(staff: Staff) -> None:
    if not (staff.is_superuser or staff.role == Role.ADMIN):
        raise ActionForbidden()


def _out(record: DataImport) -> ImportOut:
    return ImportOut(
        id=record.pk,
        kind=record.kind,
        file_name=record.file_name,
        status=record.status,
        commit_requested=record.commit_requested,
        committed=record.committed,
        rows_total=record.rows_total,
        rows_processed=record.rows_processed,
        message=record.message,
        report=record.report or {},
    )


@router.post("/imports/{kind}", response={202: ImportOut})
def post_import(
    request: HttpRequest,
    kind: Literal["register", "staff", "requests"],
    file: UploadedFile = File(...),  # type: ignore[type-arg]  # noqa: B008
    commit: Form[bool] = False,
    send_sms: Form[bool] = False,
) -> HttpStatus[ImportOut]:
    """Queue a file: checked by the worker (a dry run), or with `commit` written at once when every row is
    right (all or nothing). Administrators only. Follow it with GET /imports/runs/{id}."""
    staff = current_staff(request)
    _administrator(staff)
    record = data_import_upload(
        kind=kind, file_name=file.name or "", content=file.read(), by=staff, send_sms=send_sms, commit=commit
    )
    return HttpStatus(202, _out(record))


@router.get("/imports/runs/{import_id}", response=ImportOut)
def get_import(request: HttpRequest, import_id: int) -> ImportOut:
    """A run's status (queued, running, checked, done, failed), its progress and its row report."""
    _administrator(current_staff(request))
    record = DataImport.objects.defer("content").filter(pk=import_id).first()
    if record is None:
        raise NotVisible()
    return _out(record)
