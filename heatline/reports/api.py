"""API of reports (mounted by heatline/api.py)."""

from ninja import Router

router = Router(tags=["reports"])
