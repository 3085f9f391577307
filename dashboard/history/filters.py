"""The history filter: one form, read from the query string, shared by the page, its live fragment and the exports.

Every view that lists events goes through `filter_events()`, so a filtered page and its download can never
disagree about which rows match.
"""

from datetime import timedelta

from django import forms
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.http import QueryDict

from dashboard import events
from dashboard.audit import AuditEvent
from dashboard.validators import no_control_characters

from .insights import DEFAULT_PERIOD, PERIODS

GROUP_PREFIX = "group:"

# Kinds of event as the filter offers them: groups of actions, each with the labels of events.py.
_GROUPS = [
    (
        "access",
        "People and access",
        [
            events.SIGN_IN,
            events.SIGN_OUT,
            events.SIGN_IN_FAILED,
            events.SIGN_IN_LOCKED_OUT,
            events.USER_CREATED,
            events.ROLES_CHANGED,
            events.ACCESS_FLAGS_CHANGED,
            events.PASSWORD_CHANGED,
            events.CONNECTION_CHECK,
        ],
    ),
    (
        "setup",
        "Setup and tracking",
        [
            events.SETUP_STEP,
            events.SETUP_TEARDOWN,
            events.TARGET_TRACKED,
            events.TARGET_UNTRACKED,
            events.MIGRATION,
            events.NOTIFY_CHANNEL_ADDED,
            events.NOTIFY_CHANNEL_REMOVED,
        ],
    ),
    ("operator", "Operator actions", list(events.OPERATOR_ACTIONS)),
    ("guards", "Freezes and four eyes", list(events.GUARDS)),
    ("smoke", "Smoke checks", list(events.SMOKE_EVENTS)),
    (
        "pipeline",
        "Pipeline (observed)",
        [events.EXECUTION_STARTED, events.APPROVAL_WAITING, events.STAGE_FAILED, events.EXECUTION_FINISHED],
    ),
    (
        "deployment",
        "Deployment (observed)",
        [
            events.DEPLOYMENT_CREATED,
            events.LIFECYCLE_EVENT,
            events.DEPLOYMENT_READY,
            events.TRAFFIC_REROUTED,
            events.ORIGINAL_TERMINATED,
            events.DEPLOYMENT_FINISHED,
            events.ROLLED_BACK,
        ],
    ),
]
_grouped = {action for _, _, actions in _GROUPS for action in actions}
_others = [action for action in events.LABELS if action not in _grouped]
KIND_GROUPS = {
    key: (label, tuple(actions)) for key, label, actions in _GROUPS + [("other", "Other", _others)] if actions
}


def label_of(action):
    return events.LABELS.get(action, action)


def kind_choices():
    choices = [("", "Any kind")]
    for key, (label, actions) in KIND_GROUPS.items():
        options = [(GROUP_PREFIX + key, f"Any: {label.lower()}")]
        options += [(action, label_of(action)) for action in actions]
        choices.append((label, options))
    return choices


def actions_of_kind(kind):
    """The actions a kind stands for: a whole group, or one action."""
    if kind.startswith(GROUP_PREFIX):
        return KIND_GROUPS[kind.removeprefix(GROUP_PREFIX)][1]
    return (kind,)


# "To" is inclusive at the precision it was typed with (a day, a minute, a second): the bound kept is exclusive.
_UNTIL_PRECISION = {
    len("2026-01-31"): timedelta(days=1),
    len("2026-01-31T14:30"): timedelta(minutes=1),
    len("2026-01-31T14:30:00"): timedelta(seconds=1),
}


# Far enough either way for an audit log; a year 9999 bound would overflow once "To" is made exclusive.
FIRST_YEAR, LAST_YEAR = 2000, 9998


def within_the_years(moment):
    if not FIRST_YEAR <= moment.year <= LAST_YEAR:
        raise ValidationError(f"Give a date between the years {FIRST_YEAR} and {LAST_YEAR}.", code="out_of_range")


def moment_field(label):
    return forms.DateTimeField(
        label=label,
        required=False,
        validators=[within_the_years],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )


class HistoryFilter(forms.Form):
    scope = forms.CharField(
        label="Target",
        required=False,
        max_length=128,
        validators=[no_control_characters],
        widget=forms.TextInput(attrs={"list": "scope-options"}),
    )
    user = forms.CharField(
        label="User",
        required=False,
        max_length=150,
        validators=[no_control_characters],
        widget=forms.TextInput(attrs={"list": "user-options"}),
    )
    kind = forms.ChoiceField(label="Kind of event", required=False, choices=kind_choices)
    outcome = forms.ChoiceField(label="Outcome", required=False, choices=[("", "Any outcome"), *AuditEvent.OUTCOMES])
    since = moment_field("From")
    until = moment_field("To")

    FIELDS = ("scope", "user", "kind", "outcome", "since", "until")
    DATE_ONLY = len("2026-01-31")

    def __init__(self, data=None, **kwargs):
        # A bare date in the URL reads as that whole day, and shows as such in the datetime-local inputs.
        if data is not None:
            data = data.copy()
            for name, time in (("since", "T00:00"), ("until", "T23:59")):
                value = data.get(name, "").strip()
                if len(value) == self.DATE_ONLY:
                    data[name] = value + time
        super().__init__(data, **kwargs)

    def clean_until(self):
        until = self.cleaned_data.get("until")
        if until is None:
            return None
        raw = self.data.get("until", "").strip()
        return until + _UNTIL_PRECISION.get(len(raw), timedelta(microseconds=1))

    def clean(self):
        cleaned = super().clean()
        since, until = cleaned.get("since"), cleaned.get("until")
        if since and until and until <= since:
            self.add_error("until", "“To” must be after “From”.")
        return cleaned

    def apply(self, queryset):
        """Narrow `queryset` to the cleaned filter (call only when the form is valid)."""
        data = self.cleaned_data
        if data["scope"]:
            queryset = queryset.filter(scope=data["scope"])
        if data["user"]:
            queryset = queryset.filter(actor_name=data["user"])
        if data["kind"]:
            actions = actions_of_kind(data["kind"])
            queryset = queryset.filter(action=actions[0]) if len(actions) == 1 else queryset.filter(action__in=actions)
        if data["outcome"]:
            queryset = queryset.filter(outcome=data["outcome"])
        if data["since"]:
            queryset = queryset.filter(created_at__gte=data["since"])
        if data["until"]:
            queryset = queryset.filter(created_at__lt=data["until"])
        return queryset

    @property
    def is_filtered(self):
        return any(self.data.get(name) for name in self.FIELDS)

    def query_string(self):
        """The filter alone (no page, no cursor), as typed, without empty fields: for links that keep it."""
        query = QueryDict(mutable=True)
        for name in self.FIELDS:
            value = self.data.get(name, "").strip()
            if value:
                query[name] = value
        return query.urlencode()

    def scope_options(self):
        return AuditEvent.objects.exclude(scope="").order_by("scope").values_list("scope", flat=True).distinct()[:500]

    def user_options(self):
        names = get_user_model().objects.order_by("username").values_list("username", flat=True)[:500]
        return ["system", events.SMOKE_ACTOR, *names]


class InsightsFilter(forms.Form):
    """The insights page's period and target; a period the page does not offer reads as the default one."""

    days = forms.CharField(required=False)
    scope = forms.CharField(required=False, max_length=128, validators=[no_control_characters])

    def clean_days(self):
        days = self.cleaned_data["days"]
        return int(days) if days in {str(period) for period in PERIODS} else DEFAULT_PERIOD


def filter_events(query, queryset=None):
    """(form, events) for a query string's filter; no events at all when the filter is not valid."""
    form = HistoryFilter(query)
    queryset = AuditEvent.objects.all() if queryset is None else queryset
    if not form.is_valid():
        return form, queryset.none()
    return form, form.apply(queryset).order_by("-created_at", "-id")
