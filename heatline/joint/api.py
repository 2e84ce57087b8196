"""API of joint (mounted by heatline/api.py)."""

from ninja import Router

router = Router(tags=["joint"])
