"""Forms of the watch-list pages (parsing only; rules live in services)."""

from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from heatline.proactive.models import BookingResult, FollowupResult, VisitAction
from heatline.requests.models import Cause

DEFAULT_ROOMS = ("客厅", "主卧", "次卧", "厨房")
EXTRA_ROOMS = 2


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("原因"), max_length=200)


class AddForm(forms.Form):
    account_number = forms.CharField(label=_("户号"), max_length=20)
    reason = forms.CharField(label=_("加入原因"), max_length=200)


class BookingForm(forms.Form):
    result = forms.ChoiceField(label=_("结果"), choices=BookingResult.choices)
    new_time = forms.DateTimeField(
        label=_("约定上门时间"), required=False, widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )
    note = forms.CharField(label=_("备注"), max_length=200, required=False)


class FollowupForm(forms.Form):
    result = forms.ChoiceField(label=_("结果"), choices=FollowupResult.choices)
    note = forms.CharField(label=_("备注"), max_length=200, required=False)


class VisitForm(forms.Form):
    """One row per room: the main rooms prefilled, two spare rows for other rooms."""

    instrument_id = forms.CharField(label=_("测温仪器编号"), max_length=40)
    instrument_certificate = forms.CharField(label=_("检定证书号"), max_length=60, required=False)
    is_calibrated = forms.BooleanField(label=_("仪器在检定有效期内"), required=False, initial=True)
    cause = forms.ModelChoiceField(
        label=_("原因(低于20℃时必填)"),
        queryset=Cause.objects.filter(is_active=True),
        required=False,
        to_field_name="code",
    )
    action = forms.ChoiceField(label=_("处理方式"), choices=VisitAction.choices, required=False)
    action_note = forms.CharField(label=_("处理说明"), max_length=300, required=False)
    photo = forms.FileField(label=_("照片(可选)"), required=False)

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        rooms = [*DEFAULT_ROOMS, *([""] * EXTRA_ROOMS)]
        for index, room in enumerate(rooms):
            self.fields[f"room_{index}"] = forms.CharField(
                label=_("房间"), max_length=20, required=False, initial=room
            )
            self.fields[f"temp_{index}"] = forms.DecimalField(
                label=_("温度(℃)"),
                required=False,
                max_digits=4,
                decimal_places=1,
                widget=forms.NumberInput(attrs={"step": "0.1", "inputmode": "decimal"}),
            )
        self.room_count = len(rooms)

    def room_rows(self) -> list[tuple[forms.BoundField, forms.BoundField]]:
        return [(self[f"room_{i}"], self[f"temp_{i}"]) for i in range(self.room_count)]

    def readings(self) -> list[tuple[str, Decimal]]:
        result = []
        for index in range(self.room_count):
            room = (self.cleaned_data.get(f"room_{index}") or "").strip()
            temperature = self.cleaned_data.get(f"temp_{index}")
            if room and temperature is not None:
                result.append((room, temperature))
        return result


class RemeasureForm(forms.Form):
    """The radiator and rooms measured again; rooms as in the visit."""

    def __init__(self, *args: object, rooms: list[str], **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.rooms = rooms
        for index, room in enumerate(rooms):
            self.fields[f"temp_{index}"] = forms.DecimalField(
                label=room,
                required=False,
                max_digits=4,
                decimal_places=1,
                widget=forms.NumberInput(attrs={"step": "0.1", "inputmode": "decimal"}),
            )

    def readings(self) -> list[tuple[str, Decimal]]:
        return [
            (room, self.cleaned_data[f"temp_{index}"])
            for index, room in enumerate(self.rooms)
            if self.cleaned_data.get(f"temp_{index}") is not None
        ]


class UploadForm(forms.Form):
    file = forms.FileField(label=_("台账文件(.xlsx / .csv)"))
