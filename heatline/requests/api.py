"""API of the request life cycle (mounted by heatline/api.py)."""

from ninja import Router

router = Router(tags=["requests"])
