"""API of proactive (mounted by heatline/api.py)."""

from ninja import Router

router = Router(tags=["proactive"])
