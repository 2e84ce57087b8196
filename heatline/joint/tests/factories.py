"""Joint cases in a given state, reached through the real services and transitions."""

import datetime as dt
from typing import Any

from django.utils import timezone

from heatline.joint.models import Agreement, CaseAction, CaseType, JointCase
from heatline.joint.services import case_open
from heatline.joint.transitions import MilestoneIn, Params, case_transition
from heatline.registry.models import PartnerBody, PartnerKind
from heatline.registry.tests.factories import Org, PartnerFactory
from heatline.requests.models import ServiceRequest


def partners() -> dict[str, PartnerBody]:
    return {
        "street": PartnerFactory(kind=PartnerKind.STREET, name="兴安街道社区"),
        "police": PartnerFactory(kind=PartnerKind.POLICE, name="兴安派出所"),
        "property": PartnerFactory(kind=PartnerKind.PROPERTY, name="安居物业"),
        "housing": PartnerFactory(kind=PartnerKind.HOUSING_BUREAU, name="市住建局"),
    }


def dispute_case(org: Org, *requests: ServiceRequest, **fields: Any) -> JointCase:
    return case_open(
        type=CaseType.DISPUTE,
        summary=fields.pop("summary", "楼上住户关闭阀门,楼下三户室温低"),
        by=fields.pop("by", org.branch_manager),
        request_numbers=[sr.number for sr in requests],
        **fields,
    )


def coordination_case(org: Org, *requests: ServiceRequest, **fields: Any) -> JointCase:
    return case_open(
        type=CaseType.COORDINATION,
        summary=fields.pop("summary", "老旧小区立管改造受阻,需多户配合"),
        by=fields.pop("by", org.branch_manager),
        request_numbers=[sr.number for sr in requests],
        **fields,
    )


def mediated_case(org: Org, bodies: dict[str, PartnerBody], *requests: ServiceRequest) -> JointCase:
    case = dispute_case(org, *requests)
    return case_transition(
        case=case,
        action=CaseAction.MEDIATE,
        by=org.branch_manager,
        params=Params(
            held_at=timezone.now(),
            partner_ids=[bodies["street"].pk, bodies["police"].pk],
            parties_present="302户、402户",
            agreement=Agreement.VALVE_ADJUSTED,
            agreement_detail="402户同意打开阀门",
        ),
    )


def met_case(org: Org, bodies: dict[str, PartnerBody], *requests: ServiceRequest) -> JointCase:
    case = coordination_case(org, *requests)
    today = timezone.localdate()
    return case_transition(
        case=case,
        action=CaseAction.MEETING,
        by=org.branch_manager,
        params=Params(
            held_at=timezone.now(),
            partner_ids=[bodies["housing"].pk, bodies["street"].pk],
            responsible_party="安居物业",
            plan="物业协调住户,分公司更换立管",
            milestones=[
                MilestoneIn(title="住户签字同意", due_date=today + dt.timedelta(days=3)),
                MilestoneIn(title="更换立管", due_date=today + dt.timedelta(days=10), responsible="分公司"),
            ],
        ),
    )
