"""API of inspections (mounted by heatline/api.py)."""

from ninja import Router

router = Router(tags=["inspections"])
