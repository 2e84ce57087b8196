"""Optional sections from the other areas: present when they answer, absent (not an error) when not."""

import datetime as dt

import pytest
from django.utils import timezone

from heatline.registry.tests.factories import Org
from heatline.reports import sections
from heatline.reports.selectors import ReportFilter

FLT = ReportFilter(date_from=dt.date(2025, 11, 1), date_to=dt.date(2025, 11, 30))


@pytest.mark.django_db
def test_sections_answer_for_an_empty_utility(org: Org) -> None:
    # when
    result = sections.sections_for(flt=FLT, viewer=org.manager, now=timezone.now())

    # then
    assert result["joint"] is not None and result["joint"]["opened"] == 0
    assert result["inspections"] is not None and result["inspections"]["total"] == 0
    assert result["training"] is not None and result["training"]["quarters"][0]["label"] == "2025Q4"
    assert result["watch_list"] is None  # no heating season configured


@pytest.mark.django_db
def test_a_failing_section_is_left_out_not_fatal(org: Org, monkeypatch: pytest.MonkeyPatch) -> None:
    # given
    def broken(flt: object, viewer: object, now: object) -> None:
        raise LookupError("app not there yet")

    monkeypatch.setitem(sections.SECTIONS, "joint", broken)

    # when
    result = sections.sections_for(flt=FLT, viewer=org.manager, now=timezone.now())

    # then
    assert result["joint"] is None
    assert result["training"] is not None
