from datetime import timedelta

from django import forms
from django.conf import settings
from django.utils import timezone

from dashboard.validators import no_control_characters

from .models import ApiToken

LIFETIMES = [(7, "7 days"), (30, "30 days"), (90, "90 days"), (365, "1 year")]


class TokenForm(forms.Form):
    name = forms.CharField(
        max_length=64,
        validators=[no_control_characters],
        help_text="What it is for, e.g. “CI deploy”. The audit history names it with every call it makes.",
    )
    scope = forms.ChoiceField(
        choices=ApiToken.SCOPES,
        initial=ApiToken.READ,
        widget=forms.RadioSelect,
        help_text="Operate also requests actions, and only while you are an operator yourself.",
    )
    days = forms.TypedChoiceField(label="Expires in", choices=LIFETIMES, coerce=int, initial=30)

    def __init__(self, *args, owner, **kwargs):
        super().__init__(*args, **kwargs)
        self.owner = owner
        self.fields["days"].choices = [(d, label) for d, label in LIFETIMES if d <= settings.API_TOKEN_MAX_DAYS]

    def clean_name(self):
        name = self.cleaned_data["name"].strip()
        if self.owner.api_tokens.filter(name=name).exists():
            raise forms.ValidationError("You have a token with this name already.")
        return name

    def expires_at(self):
        return timezone.now() + timedelta(days=self.cleaned_data["days"])
