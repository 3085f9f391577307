"""One form per step, with the tutorial's values as defaults. Field names are the keys of Setup.config, so a
value typed once is there for every later step."""

from django import forms
from django.conf import settings

from dashboard.forms import connection_field
from dashboard.validators import no_control_characters
from provisioning import names
from provisioning.models import Resource, Setup

DEPLOYMENT_CONFIGS = [
    "CodeDeployDefault.ECSAllAtOnce",
    "CodeDeployDefault.ECSLinear10PercentEvery1Minutes",
    "CodeDeployDefault.ECSLinear10PercentEvery3Minutes",
    "CodeDeployDefault.ECSCanary10Percent5Minutes",
    "CodeDeployDefault.ECSCanary10Percent15Minutes",
]


def defaults(setup_name, account=""):
    suggested = names.suggested(setup_name, account)
    return {
        "region": settings.AWS_REGION,
        "profile": settings.AWS_PROFILE,
        "engine": Setup.ENGINES[0][0],  # the tutorial's CodeDeploy
        "image_tag": "latest",
        "container_name": "sample-website",
        "container_port": 80,
        "cpu": 256,
        "memory": 512,
        "execution_role": "ecsTaskExecutionRole",
        "source": Setup.CODECOMMIT,
        "branch": "master",
        "source_key": "source.zip",
        "production_port": 80,
        "test_port": 8080,
        "subnets": [],
        "security_group": "",
        "desired_count": 1,
        "reroute": "immediately",
        "ready_wait_minutes": 60,
        "termination_wait_minutes": 60,
        "deployment_config": DEPLOYMENT_CONFIGS[0],
        "rollback_on_failure": True,
        "approval": False,  # the tutorial's pipeline has none
        "approval_summary": "",
        "verify_mode": "push",
        "bake_time_minutes": names.DEFAULT_BAKE_MINUTES,
        **suggested,
    }


def initial(setup):
    """What a step's form shows: the values saved before, else the tutorial's."""
    return {**defaults(setup.name, setup.outputs.get("account", "")), **setup.config}


def placed(setup):
    """The connect step's values of a setup: its name and where it works."""
    connection = setup.aws_connection.name if setup.aws_connection_id else ""
    return {
        "name": setup.name,
        "connection": connection,
        "region": setup.region,
        "profile": setup.profile,
        "engine": setup.engine,
    }


def name_field(validator, label, **kwargs):
    return forms.CharField(label=label, validators=[validator], **kwargs)


def port_field(label):
    return forms.IntegerField(label=label, min_value=1, max_value=65535)


class SubnetsField(forms.CharField):
    """Two subnet IDs, separated by commas or spaces; blank lets the wizard pick them."""

    def prepare_value(self, value):
        return ", ".join(value) if isinstance(value, list | tuple) else value

    def to_python(self, value):
        if isinstance(value, list | tuple):
            return list(value)
        return [part for part in (value or "").replace(",", " ").split() if part]

    def validate(self, value):
        if value and (len(value) != 2 or value[0] == value[1]):
            raise forms.ValidationError("Give two different subnets, or leave this blank to pick them automatically.")

    def run_validators(self, value):
        for subnet in value:
            names.validate_subnet_id(subnet)


class ConnectForm(forms.Form):
    name = name_field(
        names.validate_setup_name,
        "Setup name",
        help_text=(
            "For example shop or team-web: 2 to 27 lowercase letters, digits and single hyphens, starting with a "
            "letter. Every resource is named after it (shop-images, shop-cluster, shop-pipeline, …)."
        ),
        widget=forms.TextInput(attrs={"placeholder": "e.g. shop"}),
    )
    connection = connection_field()
    region = name_field(names.validate_region, "Region")
    profile = forms.CharField(
        label="Profile",
        required=False,
        validators=[names.validate_profile],
        help_text="An AWS profile name, or blank for the default chain (environment, instance or task role).",
    )
    engine = forms.ChoiceField(
        label="Blue/green deployments by",
        choices=Setup.ENGINES,
        initial=Setup.ENGINES[0][0],
        widget=forms.RadioSelect,
        help_text=(
            "CodeDeploy: the tutorial's way (a CodeDeploy application and deployment group, appspec.yaml). Amazon ECS: "
            "ECS shifts traffic itself with listener rules; no CodeDeploy (see “Choosing an engine” in the README)."
        ),
    )

    def __init__(self, *args, setup=None, **kwargs):
        super().__init__(*args, **kwargs)
        if setup is not None:
            self.fields["name"].disabled = True
            self.fields["name"].initial = setup.name
            if engine_fixed(setup):
                self.fields["engine"].disabled = True
                self.fields["engine"].initial = setup.engine
                self.fields["engine"].help_text = (
                    "Fixed once step 2 (the task definition and source files) has made anything: the pipeline's files "
                    "and the service depend on it. To choose again, tear the setup down first."
                )

    def clean_name(self):
        name = self.cleaned_data["name"]
        if not self.fields["name"].disabled and Setup.objects.filter(name=name).exists():
            raise forms.ValidationError("There is a setup with this name already.")
        return name


def engine_fixed(setup):
    """Whether the steps that depend on the engine have made something: the source files, the service."""
    made = setup.resources.exclude(state=Resource.DELETED).exclude(step__in=("connect", "repository"))
    return made.exists()


class RepositoryForm(forms.Form):
    ecr_repository = name_field(
        names.validate_ecr_repository,
        "ECR repository",
        help_text="A new name, or the name of one you have, to use it.",
        widget=forms.TextInput(attrs={"list": "ecr-repositories"}),
    )
    image_tag = name_field(names.validate_image_tag, "Image tag the pipeline deploys")


class TaskDefinitionForm(forms.Form):
    family = name_field(names.validate_ecs_name, "Task definition family")
    container_name = name_field(names.validate_ecs_name, "Container name")
    container_port = port_field("Container port")
    cpu = forms.TypedChoiceField(
        label="CPU units", coerce=int, choices=[(c, f"{c} ({c / 1024:g} vCPU)") for c in names.FARGATE_MEMORY]
    )
    memory = forms.IntegerField(label="Memory (MiB)", min_value=512)
    execution_role = name_field(
        names.validate_iam_role, "Task execution role", help_text="Created with AmazonECSTaskExecutionRolePolicy."
    )
    source = forms.ChoiceField(
        label="Keep taskdef.json and appspec.yaml in",
        choices=[(Setup.CODECOMMIT, "a CodeCommit repository"), (Setup.S3, "a zip in a versioned S3 bucket")],
        widget=forms.RadioSelect,
    )
    codecommit_repository = name_field(names.validate_codecommit_repository, "CodeCommit repository", required=False)
    branch = name_field(names.validate_branch, "Branch", required=False)
    source_bucket = name_field(names.validate_s3_bucket, "S3 bucket", required=False)
    source_key = forms.CharField(
        label="Object key", required=False, max_length=1024, validators=[names.validate_s3_key]
    )

    def clean(self):
        data = super().clean()
        if "cpu" in data and "memory" in data:
            try:
                names.validate_fargate_size(data["cpu"], data["memory"])
            except forms.ValidationError as error:
                self.add_error("memory", error)
        needed = ["codecommit_repository", "branch"] if data.get("source") == Setup.CODECOMMIT else []
        if data.get("source") == Setup.S3:
            needed = ["source_bucket", "source_key"]
        for field in needed:
            if not data.get(field) and field not in self.errors:
                self.add_error(field, "This is needed for the source you chose.")
        return data


class LoadBalancerForm(forms.Form):
    load_balancer = name_field(names.validate_elb_name, "Load balancer")
    target_group_1 = name_field(names.validate_elb_name, "Target group 1 (production)")
    target_group_2 = name_field(names.validate_elb_name, "Target group 2 (test)")
    production_port = port_field("Production listener port")
    test_port = port_field("Test listener port")
    subnets = SubnetsField(label="Subnets", required=False, help_text="Blank: two public default subnets.")
    security_group = name_field(
        names.validate_security_group_id,
        "Security group",
        required=False,
        help_text="Blank: a new group open on the two ports.",
    )

    def clean(self):
        data = super().clean()
        if data.get("production_port") and data.get("production_port") == data.get("test_port"):
            self.add_error("test_port", "The test listener needs a port of its own.")
        if data.get("target_group_1") and data.get("target_group_1") == data.get("target_group_2"):
            self.add_error("target_group_2", "The two target groups need different names.")
        return data


class ServiceForm(forms.Form):
    cluster = name_field(names.validate_ecs_name, "Cluster")
    service = name_field(names.validate_ecs_name, "Service")
    desired_count = forms.IntegerField(label="Tasks", min_value=1, max_value=1000)
    # With the Amazon ECS engine only:
    infrastructure_role = name_field(
        names.validate_iam_role,
        "ECS infrastructure role",
        required=False,
        help_text="Trusted by Amazon ECS, with AmazonECSInfrastructureRolePolicyForLoadBalancers: ECS moves the "
        "listener rules' traffic with it.",
    )
    bake_time_minutes = forms.IntegerField(
        label="Bake time (minutes)",
        min_value=0,
        max_value=names.MAX_BAKE_MINUTES,
        required=False,
        help_text="How long the original revision keeps running after production traffic moved, so that a "
        f"rollback is instant; at most {names.MAX_BAKE_MINUTES}, as the pipeline's ECS deploy action waits at most "
        "an hour for the whole deployment.",
    )

    ECS_FIELDS = ("infrastructure_role", "bake_time_minutes")

    def __init__(self, *args, setup=None, **kwargs):
        super().__init__(*args, **kwargs)
        if setup is not None and not setup.uses_ecs:
            for field in self.ECS_FIELDS:
                del self.fields[field]

    def clean(self):
        data = super().clean()
        for field in self.ECS_FIELDS:
            if field in self.fields and data.get(field) in (None, "") and field not in self.errors:
                self.add_error(field, "This is needed when Amazon ECS deploys the service blue/green.")
        return data


# CodePipeline's CodeDeployToECS action times out after 5 days; an hour of it is kept for the rest of the release.
MAX_WAIT_MINUTES = 5 * 24 * 60 - 60


class CodeDeployForm(forms.Form):
    application = name_field(names.validate_codedeploy_name, "Application")
    deployment_group = name_field(names.validate_codedeploy_name, "Deployment group")
    codedeploy_role = name_field(
        names.validate_iam_role, "Service role", help_text="Trusted by CodeDeploy, with AWSCodeDeployRoleForECS."
    )
    reroute = forms.ChoiceField(
        label="Reroute traffic",
        choices=[("immediately", "immediately"), ("wait", "wait for someone to reroute")],
        widget=forms.RadioSelect,
    )
    ready_wait_minutes = forms.IntegerField(
        label="…for up to (minutes)", min_value=1, max_value=7200, help_text="Past it, the deployment stops."
    )
    termination_wait_minutes = forms.IntegerField(
        label="Wait before terminating the original task set (minutes)", min_value=0, max_value=2880
    )
    deployment_config = forms.ChoiceField(
        label="Deployment configuration", choices=[(c, c) for c in DEPLOYMENT_CONFIGS]
    )
    rollback_on_failure = forms.BooleanField(label="Roll back automatically when a deployment fails", required=False)

    def clean(self):
        data = super().clean()
        ready = (data.get("ready_wait_minutes") or 0) if data.get("reroute") == "wait" else 0
        waits = ready + (data.get("termination_wait_minutes") or 0)
        if waits > MAX_WAIT_MINUTES:
            self.add_error(
                "termination_wait_minutes",
                f"The pipeline's deploy action times out after five days (7,200 minutes), and installing and "
                f"shifting traffic need time too: the ready wait and the termination wait may add up to at most "
                f"{MAX_WAIT_MINUTES:,} minutes (they add up to {waits:,}).",
            )
        return data


class PipelineForm(forms.Form):
    pipeline = name_field(names.validate_pipeline_name, "Pipeline")
    pipeline_role = name_field(names.validate_iam_role, "Pipeline service role")
    artifact_bucket = name_field(names.validate_s3_bucket, "Artifact bucket")
    events_role = name_field(names.validate_iam_role, "Role that starts the pipeline on an image push")
    image_rule = name_field(names.validate_event_rule, "EventBridge rule")
    approval = forms.BooleanField(label="Add a manual approval stage before Deploy", required=False)
    approval_summary = forms.CharField(
        label="What the approver should check",
        required=False,
        max_length=500,  # CodePipeline's limit for an approval's CustomData
        validators=[no_control_characters],
        help_text="Optional; shown with the approval in the release console and the AWS console.",
    )


class VerifyForm(forms.Form):
    verify_mode = forms.ChoiceField(
        label="If there is no release to follow, start one by",
        choices=[("push", "pushing a new image"), ("start", "starting the pipeline now")],
        widget=forms.RadioSelect,
    )


FORMS_OF_SETUP = ("connect", "service")  # the forms that take the setup (ConnectForm, ServiceForm)
FORMS = {
    "connect": ConnectForm,
    "repository": RepositoryForm,
    "taskdef": TaskDefinitionForm,
    "loadbalancer": LoadBalancerForm,
    "service": ServiceForm,
    "codedeploy": CodeDeployForm,
    "pipeline": PipelineForm,
    "verify": VerifyForm,
}


class TeardownForm(forms.Form):
    confirm = forms.CharField(label="Type the setup's name to confirm")

    def __init__(self, *args, setup, **kwargs):
        super().__init__(*args, **kwargs)
        self.setup = setup

    def clean_confirm(self):
        if self.cleaned_data["confirm"] != self.setup.name:
            raise forms.ValidationError(f"Type {self.setup.name} exactly to delete what the wizard made.")
        return self.cleaned_data["confirm"]
