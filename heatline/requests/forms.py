"""Forms of the request pages: they parse and check shapes; the rules live in services and transitions."""

from datetime import datetime, timedelta
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import FileExtensionValidator
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from heatline.registry.models import District, Staff
from heatline.requests.models import (
    CallbackChannel,
    CallbackOutcome,
    Category,
    Cause,
    Kind,
    Nature,
    Satisfaction,
    Source,
    Status,
)

INTAKE_SOURCES = [
    (value, label)
    for value, label in Source.choices
    if value in (Source.HOTLINE, Source.GOV_12345, Source.GOV_12319, Source.SERVICE_POINT, Source.DEPARTMENT)
]
MAX_PHOTO_BYTES = 5 * 1024 * 1024


class DateTimeLocalInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs, format="%Y-%m-%dT%H:%M")


def _datetime_field(label: Any, *, required: bool) -> forms.DateTimeField:
    return forms.DateTimeField(
        label=label,
        required=required,
        widget=DateTimeLocalInput(),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S"],
    )


class IntakeForm(forms.Form):
    """来电登记 (第六条.2): one screen, in the order the operator asks."""

    received_at = forms.DateTimeField(widget=forms.HiddenInput, required=False)
    source = forms.ChoiceField(label=_("来源"), choices=INTAKE_SOURCES, initial=Source.HOTLINE)
    external_id = forms.CharField(label=_("平台工单号"), max_length=64, required=False)
    phone = forms.CharField(
        label=_("联系电话"),
        max_length=20,
        widget=forms.TextInput(attrs={"type": "tel", "accesskey": "1", "autocomplete": "off"}),
    )
    caller_name = forms.CharField(
        label=_("来电人"), max_length=50, required=False, widget=forms.TextInput(attrs={"accesskey": "2"})
    )
    household = forms.CharField(max_length=20, required=False, widget=forms.HiddenInput)
    address = forms.CharField(
        label=_("地址"),
        max_length=200,
        required=False,
        help_text=_("在册地址请从搜索结果中选择;查不到时照录原话,并选择片区"),
    )
    district = forms.ModelChoiceField(
        label=_("片区(地址未知时)"),
        queryset=District.objects.order_by("code"),
        required=False,
        empty_label=_("(按地址自动)"),
    )
    content = forms.CharField(
        label=_("诉求内容"),
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 3, "accesskey": "4"}),
    )
    category = forms.ModelChoiceField(
        label=_("类别"),
        queryset=Category.objects.filter(is_active=True).order_by("priority", "code"),
        to_field_name="code",
        required=False,
        empty_label=_("(按内容自动建议)"),
        widget=forms.Select(attrs={"accesskey": "5"}),
    )
    kind = forms.ChoiceField(
        label=_("类型"),
        choices=[("", _("(自动)")), *Kind.choices],
        required=False,
        widget=forms.Select(attrs={"accesskey": "6"}),
    )
    nature = forms.ChoiceField(label=_("来电性质"), choices=Nature.choices, initial=Nature.HELP)
    resolved_at_intake = forms.CharField(
        label=_("直办答复(填写即当场办结)"),
        max_length=4000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    wants_callback = forms.BooleanField(label=_("需要回访"), required=False, initial=True)

    def clean_received_at(self) -> datetime | None:
        value: datetime | None = self.cleaned_data.get("received_at")
        if value is not None and value > timezone.now() + timedelta(minutes=1):
            raise ValidationError(_("来电时间不能晚于当前时间"))
        return value


class LinkRepeatForm(forms.Form):
    repeat_of = forms.CharField(max_length=20)
    phone = forms.CharField(max_length=20, required=False)
    note = forms.CharField(max_length=500, required=False)


class NoteForm(forms.Form):
    note = forms.CharField(label=_("说明"), max_length=1000, required=False, widget=forms.TextInput)


class ReasonForm(forms.Form):
    note = forms.CharField(label=_("理由"), max_length=500, widget=forms.TextInput)


class ContactForm(forms.Form):
    appointment_at = _datetime_field(_("预约上门时间"), required=False)
    note = forms.CharField(label=_("说明"), max_length=1000, required=False, widget=forms.TextInput)


class WaitForm(forms.Form):
    appointment_at = _datetime_field(_("用户约定的时间"), required=True)
    note = forms.CharField(
        label=_("原因"),
        max_length=500,
        required=False,
        widget=forms.TextInput(attrs={"placeholder": _("如:家中无人、用户约改时间")}),
    )


class CompleteForm(forms.Form):
    cause = forms.ModelChoiceField(
        label=_("原因"),
        queryset=Cause.objects.filter(is_active=True).order_by("code"),
        to_field_name="code",
        empty_label=_("请选择"),
    )
    result = forms.CharField(label=_("处置结果"), max_length=4000, widget=forms.Textarea(attrs={"rows": 2}))
    photo = forms.FileField(
        label=_("现场照片"),
        required=False,
        validators=[FileExtensionValidator(["jpg", "jpeg", "png", "heic", "webp"])],
        widget=forms.ClearableFileInput(attrs={"accept": "image/*", "capture": "environment"}),
    )

    def clean_photo(self) -> Any:
        photo = self.cleaned_data.get("photo")
        if photo is not None and photo.size > MAX_PHOTO_BYTES:
            raise ValidationError(_("照片不能超过5MB"))
        return photo


YES_NO = [("", _("请选择")), ("yes", _("已解决")), ("no", _("未解决"))]


class CallbackForm(forms.Form):
    outcome = forms.ChoiceField(label=_("回访结果"), choices=CallbackOutcome.choices)
    channel = forms.ChoiceField(label=_("方式"), choices=CallbackChannel.choices)
    solved = forms.ChoiceField(label=_("是否解决"), choices=YES_NO, required=False)
    satisfaction = forms.ChoiceField(
        label=_("满意度"), choices=[("", _("请选择")), *Satisfaction.choices], required=False
    )
    comment = forms.CharField(label=_("意见"), max_length=1000, required=False, widget=forms.TextInput)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("outcome") == CallbackOutcome.ANSWERED:
            if not data.get("solved"):
                self.add_error("solved", _("请填写是否解决"))
            if not data.get("satisfaction"):
                self.add_error("satisfaction", _("请填写满意度"))
        return data


class ReassignForm(forms.Form):
    assignee = forms.ModelChoiceField(
        label=_("改派给"),
        queryset=Staff.objects.filter(is_active=True).order_by("role", "username"),
        required=False,
        empty_label=_("(片区责任人)"),
    )
    district = forms.ModelChoiceField(
        label=_("片区"), queryset=District.objects.order_by("code"), required=False, empty_label=_("(不变)")
    )
    note = forms.CharField(label=_("改派原因"), max_length=500, widget=forms.TextInput)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not data.get("assignee") and not data.get("district"):
            raise ValidationError(_("请选择改派对象"))
        return data


class ExtendForm(forms.Form):
    clock = forms.ChoiceField(label=_("时限"))
    new_due_at = _datetime_field(_("新到期时间"), required=True)
    reason = forms.CharField(label=_("延期理由"), max_length=500, widget=forms.TextInput)

    def __init__(self, *args: Any, clocks: list[tuple[str, str]] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        clock_field = self.fields["clock"]
        assert isinstance(clock_field, forms.ChoiceField)
        clock_field.choices = clocks or []


class ExtensionDecideForm(forms.Form):
    decision = forms.ChoiceField(choices=[("approve", _("批准")), ("reject", _("驳回"))])
    note = forms.CharField(label=_("意见"), max_length=500, required=False, widget=forms.TextInput)


class DispatchForm(forms.Form):
    district = forms.ModelChoiceField(
        label=_("片区"), queryset=District.objects.order_by("code"), empty_label=_("请选择片区")
    )


class FilterForm(forms.Form):
    status = forms.ChoiceField(
        label=_("状态"), required=False, choices=[("", _("全部")), ("open", _("在办")), *Status.choices]
    )
    kind = forms.ChoiceField(label=_("类型"), required=False, choices=[("", _("全部")), *Kind.choices])
    source = forms.ChoiceField(label=_("来源"), required=False, choices=[("", _("全部")), *Source.choices])
    district = forms.ModelChoiceField(
        label=_("片区"), queryset=District.objects.order_by("code"), required=False, empty_label=_("全部")
    )
    overdue = forms.BooleanField(label=_("仅超时"), required=False)
    today = forms.BooleanField(label=_("今日来电"), required=False)
    q = forms.CharField(
        label=_("搜索"),
        max_length=100,
        required=False,
        widget=forms.TextInput(attrs={"type": "search", "placeholder": _("工单号/电话/户号/地址/内容")}),
    )
