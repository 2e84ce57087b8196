"""API of training (mounted by heatline/api.py)."""

from ninja import Router

router = Router(tags=["training"])
