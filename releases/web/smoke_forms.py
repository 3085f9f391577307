"""The smoke check settings of a target, as an admin edits them: the base URLs, the policy of each phase, and the
checks (a formset, one row each). Every refusal says what to change and keeps what was typed."""

from urllib.parse import urlsplit

from django import forms
from django.core.exceptions import ValidationError
from django.db import transaction

from dashboard import events
from dashboard.audit import AuditEvent, record
from dashboard.validators import no_control_characters
from releases.models import SmokeSettings

MAX_CHECKS = 10
CHECK_FIELDS = ("path", "status", "body_text", "json_field", "json_value", "timeout", "count", "interval")


def validate_base_url(value):
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValidationError(
            "A base URL starts with http:// or https:// and names a host, "
            "such as http://my-alb-123.us-east-1.elb.amazonaws.com:8080."
        )
    if parts.username or parts.password:
        raise ValidationError("Leave the user name and password out: they would be stored and shown on the pages.")
    if parts.query or parts.fragment:
        raise ValidationError("A base URL has no query (?…) or fragment (#…); give those in a check's path.")
    try:
        parts.port  # noqa: B018 - parsing it is the check
    except ValueError:
        raise ValidationError("The port is not a number from 1 to 65535.") from None


def validate_path(value):
    if not value.startswith("/") or any(c.isspace() for c in value):
        raise ValidationError("A path starts with / and has no spaces, such as /health or /api/status?full=1.")


def validate_json_field(value):
    if any(c.isspace() for c in value) or any(not part for part in value.split(".")):
        raise ValidationError("A field name, or names joined by dots for nested ones, such as status or app.color.")


def _url_field(label):
    return forms.CharField(
        label=label,
        required=False,
        max_length=500,
        validators=[no_control_characters, validate_base_url],
        widget=forms.URLInput(attrs={"placeholder": "http://…:8080"}),
    )


class SmokeSettingsForm(forms.Form):
    test_url = _url_field("Test URL")
    production_url = _url_field("Production URL")
    block_reroute = forms.BooleanField(required=False, label="Block Reroute until the checks pass")
    reroute_on_pass = forms.BooleanField(required=False, label="Reroute automatically when they pass")
    rollback_on_failure = forms.BooleanField(required=False, label="Stop and roll back automatically when they fail")
    production_rollback_on_failure = forms.BooleanField(
        required=False, label="Stop and roll back automatically when they fail (in the termination wait)"
    )

    def clean(self):
        data = super().clean()
        if not data.get("test_url") and any(
            data.get(k) for k in ("block_reroute", "reroute_on_pass", "rollback_on_failure")
        ):
            self.add_error("test_url", "The policy of the test listener needs its URL: give the Test URL.")
        if data.get("production_rollback_on_failure") and not data.get("production_url"):
            self.add_error("production_url", "Rolling back on a failure in production needs the Production URL.")
        return data


class CheckForm(forms.Form):
    path = forms.CharField(max_length=500, validators=[no_control_characters, validate_path])
    status = forms.IntegerField(label="Expected status", initial=200, min_value=100, max_value=599)
    body_text = forms.CharField(
        label="Body contains", required=False, max_length=200, validators=[no_control_characters]
    )
    json_field = forms.CharField(
        label="JSON field", required=False, max_length=200, validators=[no_control_characters, validate_json_field]
    )
    json_value = forms.CharField(
        label="Expected value", required=False, max_length=200, validators=[no_control_characters]
    )
    timeout = forms.IntegerField(label="Timeout (s)", initial=5, min_value=1, max_value=30)
    count = forms.IntegerField(label="Count", initial=1, min_value=1, max_value=20)
    interval = forms.IntegerField(label="Interval (s)", initial=5, min_value=0, max_value=300)

    def clean(self):
        data = super().clean()
        if data.get("json_value") and not data.get("json_field"):
            self.add_error("json_field", "Name the JSON field whose value is expected.")
        return data

    def check(self):
        return {name: self.cleaned_data[name] for name in CHECK_FIELDS}


CheckFormSet = forms.formset_factory(CheckForm, extra=1, can_delete=True, max_num=MAX_CHECKS, validate_max=True)


def forms_for(target, data=None):
    """The settings form and the checks' formset: bound to `data`, else holding the saved settings, or AWS's
    listener addresses as suggested URLs when none were saved."""
    saved = SmokeSettings.objects.filter(target=target).first()
    if saved is None:
        initial = {"test_url": target.test_url.rstrip("/"), "production_url": target.production_url.rstrip("/")}
        checks = []
    else:
        initial = {name: getattr(saved, name) for name in SmokeSettingsForm.base_fields}
        checks = saved.checks
    form = SmokeSettingsForm(data, initial=initial)
    formset = CheckFormSet(data, initial=checks, prefix="check")
    return form, formset


def checks_of(formset):
    """The checks kept: the saved rows not marked for removal, and the new rows filled in."""
    saved = formset.initial_form_count()
    return [
        row.check()
        for number, row in enumerate(formset.forms)
        if row not in formset.deleted_forms and (number < saved or row.has_changed())
    ]


def valid(form, formset):
    """Both valid, and checks where URLs are given (else says so on the form)."""
    if not (form.is_valid() and formset.is_valid()):
        return False
    if (form.cleaned_data["test_url"] or form.cleaned_data["production_url"]) and not checks_of(formset):
        form.add_error(None, "Add at least one check (a path, such as /health), or leave both URLs blank.")
        return False
    return True


def save(target, form, formset, *, user, request=None):
    fields = {name: form.cleaned_data[name] for name in SmokeSettingsForm.base_fields}
    checks = checks_of(formset)
    with transaction.atomic():
        SmokeSettings.objects.update_or_create(target=target, defaults={**fields, "checks": checks, "updated_by": user})
        target.bump()
        record(
            events.SMOKE_SETTINGS_SET,
            outcome=AuditEvent.SUCCEEDED,
            user=user,
            request=request,
            target_type="target",
            target_id=target.pk,
            scope=target.name,
            params={**fields, "checks": checks},
        )
