"""API of integrations (mounted by heatline/api.py)."""

from ninja import Router

router = Router(tags=["integrations"])
