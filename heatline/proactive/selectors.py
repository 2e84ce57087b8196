"""Reads of the watch list (issue 4). Interface used by the intake page and the caller API: keep the signature."""

from collections.abc import Iterable


def watchlist_status_for_households(household_ids: Iterable[int]) -> dict[int, str]:
    """{household_id: human-readable watch-list status (e.g. "重点关注·待上门")} for households on this season's list."""
    return {}
