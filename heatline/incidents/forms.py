"""Forms of the incident pages: parsing only, the rules live in services."""

from django import forms
from django.utils.translation import gettext_lazy as _

from heatline.incidents.models import IncidentKind
from heatline.registry.models import Community, PipeSection, Station, Team, TeamKind
from heatline.requests.models import CallbackOutcome, Cause, Satisfaction

LOCAL_INPUT = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")


class IncidentForm(forms.Form):
    kind = forms.ChoiceField(label=_("类型"), choices=IncidentKind.choices)
    title = forms.CharField(label=_("事件名称"), max_length=100)
    station = forms.ModelChoiceField(label=_("换热站"), queryset=Station.objects.all(), required=False)
    pipe_section = forms.ModelChoiceField(label=_("管段"), queryset=PipeSection.objects.all(), required=False)
    community = forms.ModelChoiceField(label=_("小区"), queryset=Community.objects.all(), required=False)
    building_id = forms.IntegerField(label=_("楼栋编号(ID)"), required=False, min_value=1)
    category = forms.CharField(label=_("诉求类别编码"), max_length=30, required=False)
    crew = forms.ModelChoiceField(
        label=_("抢修班组"), queryset=Team.objects.filter(kind=TeamKind.REPAIR_CREW), required=False
    )
    started_at = forms.DateTimeField(label=_("停热开始"), required=False, widget=LOCAL_INPUT)
    expected_restore_at = forms.DateTimeField(label=_("预计恢复"), required=False, widget=LOCAL_INPUT)
    description = forms.CharField(
        label=_("情况说明"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    # Filled by the map (issue 21): the drawn area as GeoJSON, the picked buildings' ids.
    area = forms.CharField(
        required=False, widget=forms.HiddenInput(attrs={"id": "id_area"}), max_length=200000
    )
    building_ids = forms.CharField(
        required=False, widget=forms.HiddenInput(attrs={"id": "id_building_ids"}), max_length=20000
    )

    def clean_building_ids(self) -> list[int]:
        text = self.cleaned_data.get("building_ids") or ""
        try:
            return [int(part) for part in text.split(",") if part.strip()]
        except ValueError:
            raise forms.ValidationError(_("所选楼栋无效")) from None


class LinkForm(forms.Form):
    household = forms.CharField(label=_("户号"), max_length=20)
    phone = forms.CharField(label=_("联系电话"), max_length=20)
    caller_name = forms.CharField(label=_("来电人"), max_length=50, required=False)
    content = forms.CharField(label=_("诉求内容"), max_length=4000, widget=forms.Textarea(attrs={"rows": 2}))


class UpdateForm(forms.Form):
    expected_restore_at = forms.DateTimeField(label=_("预计恢复"), required=False, widget=LOCAL_INPUT)
    description = forms.CharField(
        label=_("情况说明"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class ResolveForm(forms.Form):
    restored_at = forms.DateTimeField(label=_("恢复时间"), required=False, widget=LOCAL_INPUT)
    cause = forms.ModelChoiceField(
        label=_("原因"), queryset=Cause.objects.filter(is_active=True), to_field_name="code", required=False
    )
    result = forms.CharField(
        label=_("处置结果"), max_length=4000, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class CallbacksForm(forms.Form):
    requests = forms.TypedMultipleChoiceField(label=_("来电"), coerce=int, choices=[])
    outcome = forms.ChoiceField(label=_("回访结果"), choices=CallbackOutcome.choices)
    solved = forms.NullBooleanField(label=_("已解决"), required=False)
    satisfaction = forms.ChoiceField(
        label=_("满意度"), choices=[("", "—"), *Satisfaction.choices], required=False
    )
    comment = forms.CharField(label=_("备注"), max_length=500, required=False)

    def __init__(self, *args: object, request_ids: list[int] | None = None, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["requests"].choices = [(pk, pk) for pk in request_ids or []]  # type: ignore[attr-defined]


class SuggestionForm(forms.Form):
    asset = forms.ChoiceField(choices=[("station", "station"), ("pipe_section", "pipe_section")])
    asset_id = forms.IntegerField(min_value=1)
    category_id = forms.IntegerField(min_value=1)
