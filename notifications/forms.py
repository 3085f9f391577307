import re

from django import forms

from dashboard.validators import no_control_characters

from . import kinds
from .models import Channel

VARIABLE = re.compile(r"^NOTIFY_[A-Z0-9_]+$")  # never another of the process's variables (SECRET_KEY, say)


class ChannelForm(forms.ModelForm):
    events = forms.MultipleChoiceField(
        choices=kinds.CHOICES,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="None ticked: every kind.",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["name"].validators.append(no_control_characters)

    class Meta:
        model = Channel
        fields = ["name", "kind", "url_variable", "secret_variable", "recipients", "events"]
        labels = {
            "url_variable": "URL from the environment variable",
            "secret_variable": "Signing key from the environment variable",
        }
        widgets = {
            "name": forms.TextInput(attrs={"placeholder": "e.g. release-room"}),
            "url_variable": forms.TextInput(attrs={"placeholder": "e.g. NOTIFY_SLACK_URL"}),
            "secret_variable": forms.TextInput(attrs={"placeholder": "e.g. NOTIFY_WEBHOOK_KEY"}),
            "recipients": forms.TextInput(attrs={"placeholder": "e.g. oncall@example.com, releases@example.com"}),
        }

    def clean(self):
        data = super().clean()
        kind = data.get("kind")
        for field in ("url_variable", "secret_variable"):
            value = data.get(field, "")
            if value and not VARIABLE.match(value):
                self.add_error(field, "A variable named NOTIFY_…: capitals, digits and underscores.")
        if kind in (Channel.SLACK, Channel.WEBHOOK) and not data.get("url_variable"):
            self.add_error("url_variable", "Name the variable that holds the webhook's URL.")
        if kind == Channel.WEBHOOK and not data.get("secret_variable"):
            self.add_error("secret_variable", "Name the variable that holds the key the requests are signed with.")
        if kind == Channel.EMAIL:
            addresses = [a.strip() for a in data.get("recipients", "").split(",") if a.strip()]
            if not addresses:
                self.add_error("recipients", "Give at least one address.")
            for address in addresses:
                try:
                    forms.EmailField().clean(address)
                except forms.ValidationError:
                    self.add_error("recipients", f"{address} is not an e-mail address.")
        return data
