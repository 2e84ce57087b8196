"""Worker job of the page's imports: one queued upload a round (checked, or written once confirmed)."""

from datetime import datetime

from heatline.core.imports import data_import_next, data_import_run
from heatline.core.worker import job


@job("data_imports")
def data_imports(now: datetime) -> int:
    record = data_import_next()
    if record is None:
        return 0
    data_import_run(record=record)
    return 1
