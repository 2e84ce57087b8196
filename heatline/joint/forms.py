"""Forms of the joint-case pages: they only parse; the rules live in services and transitions."""

import datetime as dt
import re
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from heatline.joint.models import Agreement, CaseType, ContactChannel, DocumentKind
from heatline.joint.transitions import MilestoneIn, Params
from heatline.registry.models import District, Staff


class IdsField(forms.MultipleChoiceField):
    """Ids from a select; whether they are in the register is the service's question (clear refusal)."""

    def valid_value(self, value: Any) -> bool:
        return str(value).isdigit()


def numbers_of(text: str) -> list[str]:
    return [part for part in re.split(r"[\s,,;;、]+", text) if part]


class CaseOpenForm(forms.Form):
    type = forms.ChoiceField(label=_("类型"), choices=CaseType.choices)
    requests = forms.CharField(
        label=_("关联工单号"), required=False, help_text=_("可填写多个,以空格或逗号分隔")
    )
    summary = forms.CharField(label=_("案情摘要"), widget=forms.Textarea(attrs={"rows": 3}))
    district = forms.ModelChoiceField(
        label=_("片区(无关联工单时必填)"), queryset=District.objects.none(), required=False
    )
    follow_up = forms.ModelChoiceField(label=_("跟进人"), queryset=Staff.objects.none(), required=False)

    def __init__(self, *args: Any, districts: Any, staff: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        district_field = self.fields["district"]
        assert isinstance(district_field, forms.ModelChoiceField)
        district_field.queryset = districts
        follow_field = self.fields["follow_up"]
        assert isinstance(follow_field, forms.ModelChoiceField)
        follow_field.queryset = staff


def _milestone_lines(text: str) -> list[MilestoneIn]:
    """One milestone a line: `2026-12-01 更换立管 / 分公司` (date, title, optional responsible unit)."""
    items = []
    for line in text.splitlines():
        line = line.strip()
        if not line:
            continue
        head, _space, rest = line.partition(" ")
        try:
            due = dt.date.fromisoformat(head)
        except ValueError:
            raise forms.ValidationError(
                _("节点格式:日期 内容 / 责任单位,例如 2026-12-01 更换立管 / 分公司")
            ) from None
        title, _slash, responsible = rest.partition("/")
        items.append(MilestoneIn(title=title.strip(), due_date=due, responsible=responsible.strip()))
    return items


YES_NO = [("", "—"), ("1", _("是")), ("0", _("否"))]


class ActionForm(forms.Form):
    """Every field an action may carry, all optional here; each action's rules are checked by the transition."""

    note = forms.CharField(required=False)
    held_at = forms.DateTimeField(required=False)
    partners = IdsField(required=False)
    parties_present = forms.CharField(required=False)
    agreement = forms.ChoiceField(required=False, choices=[("", "—"), *Agreement.choices])
    agreement_detail = forms.CharField(required=False)
    next_step = forms.CharField(required=False)
    responsible_party = forms.CharField(required=False)
    plan = forms.CharField(required=False)
    milestones = forms.CharField(required=False)
    title = forms.CharField(required=False)
    due_date = forms.DateField(required=False)
    responsible = forms.CharField(required=False)
    milestone_id = forms.IntegerField(required=False)
    result = forms.CharField(required=False)
    cause = forms.CharField(required=False)
    reached = forms.ChoiceField(required=False, choices=YES_NO)
    solved = forms.ChoiceField(required=False, choices=YES_NO)
    partner_id = forms.IntegerField(required=False)
    person = forms.CharField(required=False)
    contact_at = forms.DateTimeField(required=False)
    channel = forms.ChoiceField(required=False, choices=[("", "—"), *ContactChannel.choices])
    outcome = forms.CharField(required=False)
    document = forms.FileField(required=False)
    document_kind = forms.ChoiceField(required=False, choices=DocumentKind.choices)
    document_title = forms.CharField(required=False)
    requests = forms.CharField(required=False)

    def clean_milestones(self) -> list[MilestoneIn]:
        return _milestone_lines(self.cleaned_data.get("milestones") or "")

    def params(self) -> Params:
        data = self.cleaned_data
        milestones: list[MilestoneIn] = list(data["milestones"])
        if data.get("title") or data.get("due_date"):
            milestones.append(
                MilestoneIn(
                    title=data.get("title") or "",
                    due_date=data.get("due_date") or dt.date.min,
                    responsible=data.get("responsible") or "",
                )
            )

        def yes_no(value: str) -> bool | None:
            return None if value == "" else value == "1"

        return Params(
            note=data.get("note") or "",
            held_at=data.get("held_at"),
            partner_ids=[int(pk) for pk in data.get("partners") or []],
            parties_present=data.get("parties_present") or "",
            agreement=data.get("agreement") or "",
            agreement_detail=data.get("agreement_detail") or "",
            next_step=data.get("next_step") or "",
            responsible_party=data.get("responsible_party") or "",
            plan=data.get("plan") or "",
            milestones=milestones,
            milestone_id=data.get("milestone_id"),
            result=data.get("result") or "",
            cause=data.get("cause") or None,
            reached=yes_no(data.get("reached") or ""),
            solved=yes_no(data.get("solved") or ""),
            partner_id=data.get("partner_id"),
            person=data.get("person") or "",
            contact_at=data.get("contact_at"),
            channel=data.get("channel") or "",
            outcome=data.get("outcome") or "",
            document=data.get("document"),
            document_kind=data.get("document_kind") or DocumentKind.OTHER,
            document_title=data.get("document_title") or "",
        )
