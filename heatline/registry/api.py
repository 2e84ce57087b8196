"""API of the register: organisation lists for pickers (mounted by heatline/api.py)."""

from django.http import HttpRequest
from ninja import Router, Schema

from heatline.registry.models import District

router = Router(tags=["registry"])


class DistrictOut(Schema):
    id: int
    code: str
    name: str
    branch: str


@router.get("/districts", response=list[DistrictOut])
def list_districts(request: HttpRequest) -> list[DistrictOut]:
    return [
        DistrictOut(id=d.pk, code=d.code, name=d.name, branch=d.branch.name)
        for d in District.objects.select_related("branch").order_by("code")
    ]
