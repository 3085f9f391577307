from django import forms

from .models import AwsConnection
from .validators import (
    no_control_characters,
    validate_external_id,
    validate_profile,
    validate_region,
    validate_role_arn,
    validate_session_name,
)


class AwsConnectionForm(forms.ModelForm):
    """An admin's AWS connection: a region and the credentials to sign with there."""

    name = forms.RegexField(
        regex=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$",
        max_length=64,
        error_messages={"invalid": "Use up to 64 letters, digits, . _ and -, starting with a letter or digit."},
        help_text="How forms and pages name it: staging, prod-eu.",
    )
    region = forms.CharField(max_length=32, validators=[validate_region], help_text="Such as eu-west-1.")
    credentials = forms.ChoiceField(
        choices=AwsConnection.CREDENTIALS, initial=AwsConnection.DEFAULT, widget=forms.RadioSelect
    )
    profile = forms.CharField(
        max_length=64,
        required=False,
        validators=[validate_profile],
        help_text="A profile the workers have (~/.aws); with a role, the credentials that assume it.",
    )
    role_arn = forms.CharField(
        label="Role ARN",
        max_length=2048,
        required=False,
        validators=[validate_role_arn],
        help_text="The role in the target account; its trust policy must allow the dashboard's identity.",
    )
    external_id = forms.CharField(
        label="External id",
        max_length=1224,
        required=False,
        validators=[validate_external_id, no_control_characters],
        help_text="Optional: the sts:ExternalId the role's trust policy asks for.",
    )
    session_name = forms.CharField(
        max_length=64,
        initial="bluegreen-dashboard",
        validators=[validate_session_name],
        help_text="Shown in the account's CloudTrail as who acted.",
    )
    duration_seconds = forms.IntegerField(
        label="Session length (seconds)",
        min_value=900,
        max_value=43200,
        initial=3600,
        help_text=(
            "900 to the role's maximum session duration (3600 unless raised; at most 3600 when chained). A session "
            "is renewed in its last 15 minutes, so one of an hour costs one AssumeRole call every 45 minutes."
        ),
    )

    class Meta:
        model = AwsConnection
        fields = ["name", "region", "credentials", "profile", "role_arn", "external_id", "session_name"]
        fields += ["duration_seconds"]

    def clean(self):
        data = super().clean()
        kind = data.get("credentials")
        if kind == AwsConnection.PROFILE and not data.get("profile"):
            self.add_error("profile", "Name the profile to use.")
        if kind == AwsConnection.ROLE and not data.get("role_arn") and "role_arn" not in self.errors:
            self.add_error("role_arn", "Give the ARN of the role to assume.")
        if kind != AwsConnection.ROLE:
            data["role_arn"] = data["external_id"] = ""
        if kind == AwsConnection.DEFAULT:
            data["profile"] = ""
        if self.instance.pk:
            self._keep_where_used(data)
        return data

    def _keep_where_used(self, data):
        """A connection in use keeps its region and account: its targets' and setups' resources are there."""
        from .connections import users

        used = users(self.instance)
        if not used:
            return
        where = ", ".join(used)
        if data.get("region") and data["region"] != self.instance.region:
            self.add_error(
                "region", f"{where} use it in {self.instance.region}; add a new connection for {data['region']}."
            )
        account = self.instance.shown_account
        changed = AwsConnection(credentials=data.get("credentials", ""), role_arn=data.get("role_arn", "")).role_account
        if account and changed and changed != account and "role_arn" not in self.errors:
            self.add_error("role_arn", f"{where} use it in account {account}; add a new connection for {changed}.")


def connection_field(**options):
    """The choice of connection on the track and wizard forms: blank is the dashboard's own credentials."""
    return forms.ModelChoiceField(
        queryset=AwsConnection.objects.all(),
        required=False,
        to_field_name="name",
        empty_label="— the dashboard's own credentials, in the region below —",
        label="AWS connection",
        help_text="An account and region with its credentials (Connections page); its region is used.",
        **options,
    )
