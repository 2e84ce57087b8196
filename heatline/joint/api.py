"""API of 难诉联办 (mounted by heatline/api.py): open a case, read it, move it."""

from typing import Any

from django.http import HttpRequest
from ninja import Router

from heatline.api import current_staff
from heatline.joint.models import JointCase
from heatline.joint.schemas import CaseIn, CaseOut, CaseSummaryOut, TransitionIn
from heatline.joint.selectors import case_detail_visible, case_get_visible, case_list_visible
from heatline.joint.services import case_open, requests_resolve
from heatline.joint.transitions import MilestoneIn, Params, case_transition

router = Router(tags=["joint"])


def case_out(case: JointCase) -> dict[str, Any]:
    """The case as the API shows it (from a case loaded by `case_detail_visible`)."""
    return {
        "id": case.pk,
        "number": case.number,
        "type": case.type,
        "status": case.status,
        "branch": case.branch_id,
        "branch_name": case.branch.name,
        "district": case.district_id,
        "summary": case.summary,
        "follow_up": case.follow_up_id,
        "opened_at": case.opened_at,
        "mediated_at": case.mediated_at,
        "agreement": case.agreement,
        "meeting_at": case.meeting_at,
        "responsible_party": case.responsible_party,
        "plan": case.plan,
        "solved_at": case.solved_at,
        "closed_at": case.closed_at,
        "version": case.version,
        "requests": [link.service_request.number for link in case.links.all()],
        "clocks": list(case.clocks.all()),
        "milestones": list(case.milestones.all()),
        "participants": [
            {"id": p.partner_id, "kind": p.partner.kind, "name": p.partner.name}
            for p in case.participants.all()
        ],
        "contacts": [
            {
                "partner": c.partner_id,
                "person": c.person,
                "at": c.at,
                "channel": c.channel,
                "outcome": c.outcome,
            }
            for c in case.contacts.all()
        ],
        "events": [
            {
                "at": e.at,
                "actor": e.actor.display_name if e.actor else "",
                "action": e.action,
                "from_status": e.from_status,
                "to_status": e.to_status,
                "note": e.note,
                "extra": e.extra,
            }
            for e in case.events.all()
        ],
    }


@router.post("/cases", response={201: CaseOut})
def post_case(request: HttpRequest, body: CaseIn) -> tuple[int, dict[str, Any]]:
    staff = current_staff(request)
    case = case_open(
        type=body.type,
        summary=body.summary,
        by=staff,
        request_numbers=body.requests,
        district_id=body.district,
        follow_up_id=body.follow_up,
    )
    return 201, case_out(case_detail_visible(case_id=case.pk, viewer=staff))


@router.get("/cases", response=list[CaseSummaryOut])
def list_cases(request: HttpRequest, status: str = "open", type: str = "") -> list[dict[str, Any]]:
    """The viewer's cases (status: open, overdue, solved, all or a status value), newest first, at most 200."""
    staff = current_staff(request)
    return [
        {
            "id": case.pk,
            "number": case.number,
            "type": case.type,
            "status": case.status,
            "branch": case.branch_id,
            "summary": case.summary,
            "opened_at": case.opened_at,
            "clocks": list(case.clocks.all()),
            "next_milestone": next(iter(getattr(case, "open_milestones", [])), None),
        }
        for case in case_list_visible(viewer=staff, status=status, type=type)[:200]
    ]


@router.get("/cases/{case_id}", response=CaseOut)
def get_case(request: HttpRequest, case_id: int) -> dict[str, Any]:
    staff = current_staff(request)
    return case_out(case_detail_visible(case_id=case_id, viewer=staff))


@router.post("/cases/{case_id}/transitions", response=CaseOut)
def post_transition(request: HttpRequest, case_id: int, body: TransitionIn) -> dict[str, Any]:
    staff = current_staff(request)
    case = case_get_visible(case_id=case_id, viewer=staff)
    params = Params(
        note=body.note,
        held_at=body.held_at,
        partner_ids=body.partners,
        parties_present=body.parties_present,
        agreement=body.agreement,
        agreement_detail=body.agreement_detail,
        next_step=body.next_step,
        responsible_party=body.responsible_party,
        plan=body.plan,
        milestones=[
            MilestoneIn(title=m.title, due_date=m.due_date, responsible=m.responsible)
            for m in body.milestones
        ],
        milestone_id=body.milestone_id,
        result=body.result,
        cause=body.cause,
        reached=body.reached,
        solved=body.solved,
        partner_id=body.partner_id,
        person=body.person,
        contact_at=body.contact_at,
        channel=body.channel,
        outcome=body.outcome,
        service_requests=requests_resolve(body.requests, staff),
    )
    case_transition(case=case, action=body.action, by=staff, params=params)
    return case_out(case_detail_visible(case_id=case_id, viewer=staff))
