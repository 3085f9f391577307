from django import forms
from django.conf import settings
from django.utils import timezone

from dashboard.forms import connection_field
from dashboard.validators import no_control_characters, validate_profile, validate_region
from releases.action_kinds import KINDS, REDEPLOY_PREVIOUS, RELEASE_CHANGE, REROUTE, TERMINATE_ORIGINAL
from releases.freezes import FROZEN_KINDS
from releases.models import WEEKDAYS

FOUR_EYES_CHOOSABLE = (REROUTE, TERMINATE_ORIGINAL, REDEPLOY_PREVIOUS, RELEASE_CHANGE)


class PollQuery(forms.Form):
    """The query of a polled fragment: `v`, the version of what the browser holds (204 while it is current)."""

    v = forms.CharField(required=False, max_length=40, validators=[no_control_characters])

    def unchanged(self, version):
        return self.cleaned_data["v"] == str(version)


class ConsoleQuery(PollQuery):
    """The console's query: also which release to show, by execution id (blank: the current one)."""

    release = forms.CharField(required=False, max_length=64, validators=[no_control_characters])


class TrackForm(forms.Form):
    connection = connection_field()
    pipeline_name = forms.RegexField(
        label="Pipeline name",
        regex=r"^[A-Za-z0-9.@_-]{1,100}$",
        required=False,
        error_messages={"invalid": "A pipeline name has 1 to 100 letters, digits or . @ - _ characters."},
        help_text="Or, for a service ECS deploys blue/green itself without a pipeline, its cluster and service.",
    )
    cluster_name = forms.RegexField(
        label="ECS cluster (no pipeline)",
        regex=r"^[A-Za-z0-9_-]{1,255}$",
        required=False,
        error_messages={"invalid": "A cluster name has 1 to 255 letters, digits, hyphens or underscores."},
    )
    service_name = forms.RegexField(
        label="ECS service (no pipeline)",
        regex=r"^[A-Za-z0-9_-]{1,255}$",
        required=False,
        error_messages={"invalid": "A service name has 1 to 255 letters, digits, hyphens or underscores."},
    )
    region = forms.CharField(
        label="Region",
        max_length=32,
        required=False,  # blank: the dashboard's own region (AWS_REGION), as before there was a choice
        validators=[validate_region],
        help_text="The AWS region the pipeline is in (with a connection, the connection's).",
    )
    profile = forms.CharField(
        label="Profile",
        max_length=64,
        required=False,
        validators=[validate_profile],
        help_text="Optional: a named AWS profile of the workers; blank uses their default credentials.",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["region"].initial = settings.AWS_REGION

    def clean(self):
        data = super().clean()
        pipeline, cluster, service = (data.get(k) for k in ("pipeline_name", "cluster_name", "service_name"))
        if self.errors:
            return data
        if pipeline and (cluster or service):
            raise forms.ValidationError("Name a pipeline, or a cluster and service, not both.")
        if not pipeline and not (cluster and service):
            raise forms.ValidationError("Name a pipeline, or the cluster and service of an ECS blue/green service.")
        return data


def seen_id(max_length):
    """A hidden field: an id the page showed, checked again when the action is requested."""
    return forms.CharField(
        required=False, max_length=max_length, validators=[no_control_characters], widget=forms.HiddenInput
    )


class ActionForm(forms.Form):
    """The confirmation of an operator action: a reason, and the ids the operator saw when asking."""

    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3, "placeholder": "Why, for the audit history"}),
        max_length=1000,
        validators=[no_control_characters],
        help_text="Kept in the audit history with your name, the time and AWS's answer.",
    )
    deployment_id = seen_id(64)
    execution_id = seen_id(64)
    stage = seen_id(100)
    abandon = forms.TypedChoiceField(
        required=False,
        label="How to stop",
        choices=[
            ("", "Stop and wait: running actions finish"),
            ("1", "Stop and abandon: running actions are abandoned"),
        ],
        coerce=bool,
        empty_value=False,
        widget=forms.RadioSelect,
    )

    override_freeze = forms.BooleanField(required=False, label="Override the freeze (admins)")
    override_reason = forms.CharField(
        required=False,
        max_length=1000,
        label="Why override the freeze",
        validators=[no_control_characters],
        widget=forms.TextInput,
    )

    def __init__(self, *args, kind, **kwargs):
        super().__init__(*args, **kwargs)
        if kind != "stop_execution":
            del self.fields["abandon"]
        if kind not in FROZEN_KINDS:
            del self.fields["override_freeze"], self.fields["override_reason"]

    def clean_reason(self):
        reason = self.cleaned_data["reason"].strip()
        if len(reason) < 3:
            raise forms.ValidationError("Say briefly why (at least 3 characters).")
        return reason

    def clean(self):
        data = super().clean()
        if data.get("override_freeze") and len((data.get("override_reason") or "").strip()) < 3:
            self.add_error("override_reason", "Say why the freeze is overridden (at least 3 characters).")
        return data

    def override(self):
        """The reason to send it during a freeze, when that was asked for; else blank."""
        return self.cleaned_data.get("override_reason", "").strip() if self.cleaned_data.get("override_freeze") else ""

    def expected(self):
        return {k: self.cleaned_data.get(k, "") for k in ("deployment_id", "execution_id", "stage")}

    def extra(self):
        return {"abandon": self.cleaned_data["abandon"]} if "abandon" in self.fields else {}


class FreezeForm(forms.Form):
    """An admin's freeze: from now until a time (in TIME_ZONE), with a reason; optionally weekly, on some days
    between two hours."""

    until = forms.DateTimeField(
        label="Frozen until", widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
    )
    reason = forms.CharField(max_length=1000, validators=[no_control_characters])
    weekdays = forms.TypedMultipleChoiceField(
        required=False, coerce=int, choices=list(enumerate(WEEKDAYS)), widget=forms.CheckboxSelectMultiple
    )
    daily_from = forms.TimeField(required=False)
    daily_until = forms.TimeField(required=False)

    def clean(self):
        data = super().clean()
        if data.get("weekdays"):
            start, end = data.get("daily_from"), data.get("daily_until")
            if start is None or end is None or start >= end:
                raise forms.ValidationError("A weekly freeze needs its hours: from before until, the same day.")
        return data

    def clean_until(self):
        until = self.cleaned_data["until"]
        if until <= timezone.now():
            raise forms.ValidationError("The end of a freeze is in the future.")
        return until

    def clean_reason(self):
        reason = self.cleaned_data["reason"].strip()
        if len(reason) < 3:
            raise forms.ValidationError("Say briefly why (at least 3 characters).")
        return reason


class DecisionForm(forms.Form):
    """A second operator's answer to a four-eyes request: a reason."""

    reason = forms.CharField(max_length=1000, validators=[no_control_characters])

    def clean_reason(self):
        reason = self.cleaned_data["reason"].strip()
        if len(reason) < 3:
            raise forms.ValidationError("Say briefly why (at least 3 characters).")
        return reason


class FourEyesForm(forms.Form):
    kinds = forms.MultipleChoiceField(
        required=False,
        widget=forms.CheckboxSelectMultiple,
        choices=[(kind, KINDS[kind].label) for kind in FOUR_EYES_CHOOSABLE],
    )
