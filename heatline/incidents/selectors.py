"""Reads of incidents (issue 10). Interface used by the intake page: keep the signature."""

from collections.abc import Iterable
from typing import Any


def incidents_open_for_households(household_ids: Iterable[int]) -> dict[int, list[Any]]:
    """Open incidents and announced planned outages that affect each household: {household_id: [incident, …]}."""
    return {}
