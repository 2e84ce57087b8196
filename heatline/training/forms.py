from django import forms
from django.utils.translation import gettext_lazy as _

from heatline.registry.models import Staff
from heatline.training.models import Topic


class SessionForm(forms.Form):
    held_on = forms.DateField(label=_("培训日期"), widget=forms.DateInput(attrs={"type": "date"}))
    title = forms.CharField(label=_("培训主题"), max_length=100)
    topics = forms.MultipleChoiceField(
        label=_("培训内容"), choices=Topic.choices, widget=forms.CheckboxSelectMultiple
    )
    trainer = forms.ModelChoiceField(label=_("培训人"), queryset=Staff.objects.none(), required=False)
    trainer_name = forms.CharField(label=_("培训人(外部)"), max_length=50, required=False)
    location = forms.CharField(label=_("地点"), max_length=100, required=False)
    attendees = forms.ModelMultipleChoiceField(
        label=_("参训人员"),
        queryset=Staff.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    notes = forms.CharField(label=_("备注"), widget=forms.Textarea(attrs={"rows": 2}), required=False)
