"""API of incidents (mounted by heatline/api.py)."""

from ninja import Router

router = Router(tags=["incidents"])
