import time

from django import forms as django_forms
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from provisioning.models import Setup, StepRun
from provisioning.web import forms, step_requests
from provisioning.worker import runner, steps


def yes_no(value):
    if value.lower() in ("yes", "true", "on", "1"):
        return True
    if value.lower() in ("no", "false", "off", "0"):
        return False
    raise ValueError(value)


class Command(BaseCommand):
    help = (
        "Run the setup wizard's steps in this process (no worker needed), with the tutorial's defaults: "
        "the same step functions as the browser wizard. Every form field has an option."
    )

    def add_arguments(self, parser):
        parser.add_argument("name", help="The setup's name; an existing setup is resumed or rerun.")
        parser.add_argument("--until", choices=steps.KEYS, help="Stop after this step.")
        parser.add_argument("--user", help="Whom the audit log names as having run the steps.")
        seen = {"name"}
        for form in forms.FORMS.values():
            for field_name, field in form.base_fields.items():
                if field_name in seen:
                    continue
                seen.add(field_name)
                option = {"dest": field_name, "help": " ".join(str(t) for t in (field.label, field.help_text) if t)}
                if isinstance(field, django_forms.BooleanField):
                    option.update(type=yes_no, metavar="yes|no")
                elif isinstance(field, django_forms.ModelChoiceField):
                    option["metavar"] = "NAME"
                elif isinstance(field, django_forms.ChoiceField):
                    option["choices"] = [str(value) for value, _ in field.choices]
                parser.add_argument(f"--{field_name.replace('_', '-')}", **option)

    def handle(self, *args, name, until, user, **options):
        self.user = get_user_model().objects.filter(username=user).first() if user else None
        if user and self.user is None:
            raise CommandError(f"There is no user {user!r}.")
        fields = {f for form in forms.FORMS.values() for f in form.base_fields}
        overrides = {k: v for k, v in options.items() if k in fields and v is not None}
        setup = Setup.objects.filter(name=name).first()
        problems = [p for key in forms.FORMS for p in self.problems(self.form(key, setup, name, overrides))]
        if setup and overrides.get("engine", setup.engine) != setup.engine and forms.engine_fixed(setup):
            problems.append(
                f"--engine: {setup.name} already deploys with {setup.engine}; tear it down to choose again."
            )
        if problems:  # every value is checked before anything is made
            raise CommandError("; ".join(problems))
        done = None
        for step in steps.STEPS:
            if setup is None:
                setup, run = self.create(name, overrides)
            elif step.KEY not in {shown.KEY for shown in steps.for_setup(setup)}:
                if until == step.KEY:  # not a step of the setup's engine
                    break
                continue
            else:
                run = self.start(setup, step.KEY, overrides)
            chosen = [shown.KEY for shown in steps.for_setup(setup)]
            step = done = steps.shown(step, setup)
            self.stdout.write(f"{chosen.index(step.KEY)}. {step.TITLE}")
            run = self.follow(run)
            if run.has_failed:
                raise CommandError(f"{step.TITLE} failed: {run.error_code}: {run.error_message}")
            setup.refresh_from_db()
            if until == step.KEY:
                break
        self.stdout.write(self.style.SUCCESS(f"Setup {name}: {done.TITLE} done."))

    def form(self, key, setup, name, overrides):
        """The step's form as the wizard would fill it in, with the command's options typed over it."""
        if setup is None:
            data, extra = forms.defaults(name), {}
        else:
            data = {**forms.initial(setup), **forms.placed(setup)}
            extra = {"setup": setup} if key in forms.FORMS_OF_SETUP else {}
        return forms.FORMS[key]({**data, **overrides, "name": name}, **extra)

    def create(self, name, overrides):
        form = self.form("connect", None, name, overrides)
        self.refuse_invalid(form)
        return step_requests.create_setup(form.cleaned_data, user=self.user, enqueue=False)

    def start(self, setup, key, overrides):
        form = self.form(key, setup, setup.name, overrides)
        self.refuse_invalid(form)
        values = {k: v for k, v in form.cleaned_data.items() if k != "name"}
        try:
            return step_requests.start_step(setup, key, values, user=self.user, enqueue=False)
        except step_requests.Busy as busy:
            # A run left unfinished (an earlier provision was stopped): finish it here first, then go on.
            unfinished = setup.runs.filter(status__in=StepRun.ACTIVE).first()
            if unfinished is None:
                raise CommandError(str(busy)) from busy
            self.stdout.write(f"   finishing the unfinished run of step {unfinished.step} first")
            if self.follow(unfinished).has_failed:
                raise CommandError(f"{unfinished.step}: {unfinished.error_code}: {unfinished.error_message}") from busy
            return step_requests.start_step(setup, key, values, user=self.user, enqueue=False)

    def refuse_invalid(self, form):
        if problems := self.problems(form):
            raise CommandError("; ".join(problems))

    def problems(self, form):
        return [f"--{field.replace('_', '-')}: {' '.join(errors)}" for field, errors in form.errors.items()]

    def follow(self, run):
        """Run the step here; while it waits, sleep until it wants to look again."""
        said = ""
        while True:
            run = runner.execute(run.pk, report=self.report) or self.elsewhere(run)
            if run.status != StepRun.WAITING:
                return run
            if not self.acted_while_waiting(run) and run.message != said:
                self.stdout.write(f"   … {run.message}")
                said = run.message
            time.sleep(max(0.0, (run.wake_at - timezone.now()).total_seconds()))

    def acted_while_waiting(self, run):
        """Where a command that extends this one acts on a waiting run (True: it did, and the wait's message is not
        printed this time). This one only waits."""
        return False

    def elsewhere(self, run):
        until = f" until at least {run.lease_expires_at:%H:%M:%S} UTC" if run.lease_expires_at else ""
        raise CommandError(
            f"Step {run.step} of {run.setup.name} is held by another process (a worker, or another provision)"
            f"{until}; see the wizard, or try again after that."
        )

    def report(self, action):
        self.stdout.write(f"   ✓ {action['label']}" + (f" — {action['detail']}" if action["detail"] else ""))
