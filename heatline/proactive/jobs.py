"""Worker jobs of 未诉先办: the 30-minute re-measure warning and the check of large ledger uploads."""

from datetime import datetime

from django.db import transaction

from heatline.core.worker import job
from heatline.proactive.ledger import ledger_import_validate
from heatline.proactive.models import ImportStatus, LedgerImport
from heatline.proactive.services import remeasure_warn


@job("proactive_remeasure_due")
def remeasure_due(now: datetime) -> int:
    """第四条.3: warn once when the re-measurement 30 minutes after a fix falls due."""
    return remeasure_warn(now=now)


@job("proactive_ledger_validate")
def ledger_validate(now: datetime) -> int:
    """Check one uploaded ledger waiting for its row report (large files; the page shows progress)."""
    with transaction.atomic():
        claimed = (
            LedgerImport.objects.filter(status=ImportStatus.PENDING)
            .select_for_update(skip_locked=True)
            .order_by("created_at")
            .first()
        )
        if claimed is None:
            return 0
        LedgerImport.objects.filter(pk=claimed.pk).update(rows_processed=0)
    ledger_import_validate(ledger_import=claimed)
    return 1
