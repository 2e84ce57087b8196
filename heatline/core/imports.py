"""The runs of the imports (register, staff, requests): one `DataImport` row each, from the console or the page.

The page keeps the uploaded file in a queued row; the worker reads it (progress saved as it goes, so the
page shows it), keeps the row report, and, once the administrator confirms a clean report, writes it.
The console writes the same row when it commits. Every written run leaves an audit event.
"""

import hashlib
from collections.abc import Callable
from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _

from heatline.core.audit import audit_record
from heatline.core.errors import InvalidInput
from heatline.core.models import DataImport, DataImportStatus, ImportKind
from heatline.core.tabular import MAX_FILE_BYTES, ImportReport

# kind → the import function (content=, file_name=, commit=, by=, progress=, record=) → ImportReport.
IMPORTERS = {
    ImportKind.REGISTER: "heatline.registry.imports.register_import",
    ImportKind.STAFF: "heatline.registry.staff_import.staff_import_report",
    ImportKind.REQUESTS: "heatline.requests.imports.requests_import",
    ImportKind.SENSORS: "heatline.telemetry.imports.sensors_import",
}
# kind → (xlsx template, csv template) builders, for the downloads.
TEMPLATES = {
    ImportKind.REGISTER: ("heatline.registry.imports.register_template_xlsx", "heatline.registry.imports.register_template_csv"),
    ImportKind.STAFF: ("heatline.registry.staff_import.staff_template_xlsx", "heatline.registry.staff_import.staff_template_csv"),
    ImportKind.REQUESTS: ("heatline.requests.imports.requests_template_xlsx", "heatline.requests.imports.requests_template_csv"),
    ImportKind.SENSORS: ("heatline.telemetry.imports.sensor_template_xlsx", "heatline.telemetry.imports.sensor_template_csv"),
}  # fmt: skip
PROGRESS_SAVE_EVERY = 5000


def data_import_written(
    *,
    kind: str,
    record: DataImport | None,
    content: bytes,
    file_name: str,
    by: Any,
    report: ImportReport,
    started_at: datetime,
) -> DataImport:
    """Inside the import's transaction: the run's row, marked written, with its report and an audit event.
    The file itself is dropped: its rows are in."""
    values = {
        "kind": kind,
        "file_name": file_name[:200],
        "sha256": hashlib.sha256(content).hexdigest(),
        "by": by if getattr(by, "pk", None) else None,
        "status": DataImportStatus.DONE,
        "content": b"",
        "finished_at": timezone.now(),
        "rows_total": report.rows,
        "rows_processed": report.rows,
        "committed": True,
        "report": report.as_dict(),
    }
    if record is None:
        record = DataImport.objects.create(started_at=started_at, **values)
    else:
        for key, value in values.items():
            setattr(record, key, value)
        record.save()
    audit_record(by=by, obj=record, action=f"{kind}_import", extra=report.as_dict(max_errors=0))
    return record


def data_import_upload(
    *, kind: str, file_name: str, content: bytes, by: Any, send_sms: bool = False, commit: bool = False
) -> DataImport:
    """Keep an uploaded file for the worker to check (nothing is read or written yet); with `commit`, the
    worker writes it in the same pass when every row is right."""
    if kind not in IMPORTERS:
        raise InvalidInput(_("未知的导入类型"))
    if not file_name.lower().endswith((".xlsx", ".csv")):
        raise InvalidInput(_("只支持 .xlsx 和 .csv 文件"), field="file")
    if len(content) > MAX_FILE_BYTES:
        raise InvalidInput(
            _("文件过大(最大 %(mb)d MB)") % {"mb": MAX_FILE_BYTES // (1024 * 1024)}, field="file"
        )
    if not content:
        raise InvalidInput(_("文件为空或缺少表头"), field="file")
    record = DataImport.objects.create(
        kind=kind,
        file_name=file_name[:200],
        sha256=hashlib.sha256(content).hexdigest(),
        content=content,
        by=by,
        send_sms=send_sms,
        commit_requested=commit,
        started_at=timezone.now(),
    )
    audit_record(
        by=by, obj=record, action="data_import_upload", extra={"kind": kind, "file": file_name[:200]}
    )
    return record


def data_import_confirm(*, record: DataImport, by: Any) -> DataImport:
    """The administrator's go on a clean row report: the worker writes it."""
    updated = DataImport.objects.filter(
        pk=record.pk, status=DataImportStatus.CHECKED, committed=False, report__error_count=0
    ).update(status=DataImportStatus.QUEUED, commit_requested=True)
    if updated != 1:
        raise InvalidInput(_("该导入尚未校验完成、有错误行或已写入"))
    audit_record(by=by, obj=record, action="data_import_confirm")
    record.refresh_from_db()
    return record


def data_import_run(*, record: DataImport) -> DataImport:
    """Check (and with `commit_requested`, write) a queued upload; progress is saved as rows are read."""
    importer: Callable[..., ImportReport] = import_string(IMPORTERS[ImportKind(record.kind)])
    DataImport.objects.filter(pk=record.pk).update(status=DataImportStatus.RUNNING, rows_processed=0)

    def progress(done: int, total: int) -> None:
        DataImport.objects.filter(pk=record.pk).update(rows_processed=done, rows_total=total)

    try:
        report = importer(
            content=bytes(record.content),
            file_name=record.file_name,
            commit=record.commit_requested,
            by=record.by,
            progress=progress,
            record=record,
            **({"send_sms": record.send_sms} if record.kind == ImportKind.STAFF else {}),
        )
    except InvalidInput as error:
        record.status = DataImportStatus.FAILED
        record.message = error.message[:300]
        record.finished_at = timezone.now()
        record.content = b""
        record.save()
        return record
    if not report.committed:
        record.refresh_from_db()
        record.status = DataImportStatus.CHECKED
        record.rows_total = record.rows_processed = report.rows
        record.report = report.as_dict()
        record.finished_at = timezone.now()
        record.save()
    record.refresh_from_db()
    return record


def data_import_next() -> DataImport | None:
    """Claim the oldest queued upload (SKIP LOCKED on PostgreSQL: two workers never take the same)."""
    with transaction.atomic():
        record = (
            DataImport.objects.filter(status=DataImportStatus.QUEUED)
            .select_for_update(skip_locked=True)
            .order_by("started_at")
            .first()
        )
        if record is None:
            return None
        DataImport.objects.filter(pk=record.pk).update(status=DataImportStatus.RUNNING)
    return record
