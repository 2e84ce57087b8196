import pytest
from django.core.management import CommandError, call_command

from heatline.inspections.models import HazardArea
from heatline.inspections.tests.factories import high_risk_building

pytestmark = pytest.mark.django_db


def test_command_computes_the_seasons_areas(org, capsys):
    # given
    high_risk_building(org)

    # when
    call_command("hazard_areas", "2025")

    # then
    out = capsys.readouterr().out
    assert HazardArea.objects.filter(season__year=2025, is_detected=True).count() == 2
    assert org.community.name in out and "管道堵塞(2025)" in out


def test_command_refuses_an_unknown_season(db):
    with pytest.raises(CommandError):
        call_command("hazard_areas", "1990")


def test_cli_alias_maps_the_dashed_name():
    from heatline.cli import COMMAND_ALIASES

    assert COMMAND_ALIASES["hazard-areas"] == "hazard_areas"
