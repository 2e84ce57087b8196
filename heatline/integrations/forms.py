import uuid

from django import forms
from django.utils.translation import gettext_lazy as _

from heatline.requests.models import Satisfaction


class ReportForm(forms.Form):
    address = forms.CharField(
        label=_("地址"),
        max_length=200,
        widget=forms.TextInput(
            attrs={
                "list": "address-options",
                "autocomplete": "off",
                "placeholder": _("小区、楼号、单元、门牌"),
            }
        ),
    )
    phone = forms.RegexField(
        label=_("手机号"),
        regex=r"^1\d{10}$|^0\d{9,11}$",
        error_messages={"invalid": _("请填写正确的手机号或座机号")},
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "tel"}),
    )
    category = forms.ChoiceField(label=_("问题类别"), required=False)
    description = forms.CharField(
        label=_("问题描述"), max_length=1000, widget=forms.Textarea(attrs={"rows": 4})
    )
    form_id = forms.CharField(widget=forms.HiddenInput, max_length=40, required=False)
    # Honeypot: hidden from people by CSS; a bot that fills it is refused.
    website = forms.CharField(label=_("网址"), required=False, max_length=200)

    def __init__(self, *args: object, categories: list[tuple[str, str]], **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["category"].choices = [("", _("不确定")), *categories]  # type: ignore[attr-defined]
        if not self.is_bound:
            self.initial["form_id"] = uuid.uuid4().hex


class StatusForm(forms.Form):
    number = forms.CharField(label=_("工单号"), max_length=20)
    phone_tail = forms.RegexField(
        label=_("手机号后四位"),
        regex=r"^\d{4}$",
        error_messages={"invalid": _("请填写4位数字")},
        widget=forms.TextInput(attrs={"inputmode": "numeric", "maxlength": 4}),
    )


class CallbackForm(forms.Form):
    solved = forms.TypedChoiceField(
        label=_("问题是否已解决"),
        choices=[("yes", _("已解决")), ("no", _("未解决"))],
        coerce=lambda value: value == "yes",
        widget=forms.RadioSelect,
    )
    satisfaction = forms.ChoiceField(
        label=_("满意度"), choices=Satisfaction.choices, widget=forms.RadioSelect
    )
    comment = forms.CharField(
        label=_("意见建议"), required=False, max_length=500, widget=forms.Textarea(attrs={"rows": 3})
    )


class ImportForm(forms.Form):
    file = forms.FileField(label=_("平台工单文件(.xlsx/.csv)"))
