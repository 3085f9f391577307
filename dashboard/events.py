"""The names of audit events, shared by everything that writes or reads the audit log.

Conventions every writer follows, so that history, timelines and insights can join events:
- `scope` is the release target's name (or the setup's name for wizard events).
- Release events carry `params["execution_id"]` (CodePipeline execution) and/or `params["deployment_id"]`
  (CodeDeploy `d-...`) whenever they are known; `pipeline.execution_started` also carries `image_digest`,
  `image_tag`, `image_uri`, `image_pushed_at` (ISO 8601) and `source_revision` when the source stage has them.
- An operator action is two events: `requested` (with reason and parameters, in the transaction that creates the
  action row), then `succeeded` or `failed` (AWS request id, or AWS error code and message) pointing back at the
  request with `follows`.
- What the pollers observe is recorded once, with outcome `observed` and no actor ("system").
"""

# People signing in, and users and roles
SIGN_IN = "auth.sign_in"
SIGN_OUT = "auth.sign_out"
SIGN_IN_FAILED = "auth.sign_in_failed"  # the first failure of a user name and address in a lock-out window
SIGN_IN_LOCKED_OUT = "auth.sign_in_locked_out"  # params["failures"]
ROLES_CHANGED = "user.roles_changed"
USER_CREATED = "user.created"  # params: superuser, staff, active, password ("set" or "none")
ACCESS_FLAGS_CHANGED = "user.access_flags_changed"  # params: the new value of each changed flag
PASSWORD_CHANGED = "user.password_changed"  # params["password"]: "set" or "disabled"; never the password

# The JSON API (api/): a token made or revoked by its owner, and each call made with one (params: method, path,
# status, and `api_token`, the token's name, which every event written in an API call carries)
API_TOKEN_CREATED = "api.token_created"
API_TOKEN_REVOKED = "api.token_revoked"
API_CALL = "api.call"

# The connection check on the overview and the Connections page, and the connections admins add and remove
# (target_id: the connection's name; params: region, credentials, role_arn)
CONNECTION_CHECK = "aws.connection_check"
CONNECTION_ADDED = "aws.connection_added"
CONNECTION_REMOVED = "aws.connection_removed"
CONNECTION_CHANGED = "aws.connection_changed"  # params["changed"]: {field: [before, after]}

# The setup wizard (scope: the setup's name; params: step, created resources)
SETUP_STEP = "setup.step"
SETUP_TEARDOWN = "setup.teardown"
SETUP_DRIFT_CHECK = "setup.drift_check"  # what AWS has now against what the setup says

# Notification channels (target_id: the channel's name)
NOTIFY_CHANNEL_ADDED = "notify.channel_added"
NOTIFY_CHANNEL_REMOVED = "notify.channel_removed"

# Tracking release targets
TARGET_TRACKED = "target.tracked"
TARGET_UNTRACKED = "target.untracked"
# Moving a CodeDeploy target to ECS's own blue/green (scope: the target's name; target_id: the run's id;
# params["phase"]: dry_run, run, rollback or delete; the outcome lists the sub-actions done)
MIGRATION = "target.migration"

# Operator actions on a release target (outcome requested, then succeeded or failed)
RELEASE_CHANGE = "release.start_execution"
STOP_EXECUTION = "release.stop_execution"
RETRY_STAGE = "release.retry_stage"
REROUTE = "release.reroute"
ROLLBACK = "release.rollback"
TERMINATE_ORIGINAL = "release.terminate_original"
REDEPLOY_PREVIOUS = "release.redeploy_previous"
APPROVE = "release.approve"
REJECT = "release.reject"
CONTINUE_HOOK = "release.continue_hook"  # ECS's own blue/green: a PAUSE hook continued
OPERATOR_ACTIONS = (
    RELEASE_CHANGE,
    STOP_EXECUTION,
    RETRY_STAGE,
    REROUTE,
    ROLLBACK,
    TERMINATE_ORIGINAL,
    REDEPLOY_PREVIOUS,
    APPROVE,
    REJECT,
    CONTINUE_HOOK,
)

# Freeze windows on a target (scope: the target's name; target_id: the freeze's id; params["until"]: its end).
# An override is an admin sending a release or reroute during a freeze; its reason is the override's reason.
FREEZE_SET = "release.freeze_set"
FREEZE_ENDED = "release.freeze_ended"
FREEZE_OVERRIDDEN = "release.freeze_overridden"  # params["kind"]: the action sent anyway

# Four eyes (scope: the target's name; target_id: the request's id; params["kind"]): an admin chooses the kinds
# per target; an operator asks, a different one approves (then the action's `requested` event names both) or
# declines, each with a reason.
FOUR_EYES_KINDS_SET = "release.four_eyes_kinds_set"  # params["kinds"]
FOUR_EYES_REQUESTED = "release.four_eyes_requested"
FOUR_EYES_APPROVED = "release.four_eyes_approved"
FOUR_EYES_DECLINED = "release.four_eyes_declined"

# Smoke checks (scope: the target's name). Settings: target_id the target's id. A run: target_id the run's id,
# params deployment_id, execution_id, phase ("test" or "production"), url; its end: status passed, failed, cancelled
# or timed_out, and the reason. An action its policy asks for is an operator action by the actor "smoke checks".
SMOKE_SETTINGS_SET = "release.smoke_settings_set"
SMOKE_STARTED = "release.smoke_started"
SMOKE_FINISHED = "release.smoke_finished"
SMOKE_EVENTS = (SMOKE_SETTINGS_SET, SMOKE_STARTED, SMOKE_FINISHED)
SMOKE_ACTOR = "smoke checks"  # the actor of the runs, and of the actions their policy asks for

GUARDS = (  # the freezes and four eyes around operator actions
    FREEZE_SET,
    FREEZE_ENDED,
    FREEZE_OVERRIDDEN,
    FOUR_EYES_KINDS_SET,
    FOUR_EYES_REQUESTED,
    FOUR_EYES_APPROVED,
    FOUR_EYES_DECLINED,
)

# Observed by the pollers (outcome observed, actor system)
EXECUTION_STARTED = "pipeline.execution_started"
STAGE_FAILED = "pipeline.stage_failed"
APPROVAL_WAITING = "pipeline.approval_waiting"  # a manual approval action is InProgress
EXECUTION_FINISHED = "pipeline.execution_finished"  # params["status"]: Succeeded, Failed, Stopped, Superseded
DEPLOYMENT_CREATED = "deployment.created"
LIFECYCLE_EVENT = "deployment.lifecycle_event"  # params["event"], params["status"]
DEPLOYMENT_READY = "deployment.ready"  # waiting for a reroute
TRAFFIC_REROUTED = "deployment.traffic_rerouted"  # production traffic on the replacement task set
ORIGINAL_TERMINATED = "deployment.original_terminated"
DEPLOYMENT_FINISHED = "deployment.finished"  # params["status"]: Succeeded, Failed, Stopped
ROLLED_BACK = "deployment.rolled_back"  # params["rollback_deployment_id"]

LABELS = {
    SIGN_IN: "Signed in",
    SIGN_OUT: "Signed out",
    NOTIFY_CHANNEL_ADDED: "Notification channel added",
    NOTIFY_CHANNEL_REMOVED: "Notification channel removed",
    SIGN_IN_FAILED: "Failed sign-in",
    SIGN_IN_LOCKED_OUT: "Locked out of sign-in",
    ROLES_CHANGED: "Roles changed",
    USER_CREATED: "User created",
    ACCESS_FLAGS_CHANGED: "Superuser, staff or active changed",
    PASSWORD_CHANGED: "Password changed",
    API_TOKEN_CREATED: "API token created",
    API_TOKEN_REVOKED: "API token revoked",
    API_CALL: "API call",
    CONNECTION_CHECK: "Checked the AWS connection",
    CONNECTION_ADDED: "AWS connection added",
    CONNECTION_REMOVED: "AWS connection removed",
    CONNECTION_CHANGED: "AWS connection changed",
    SETUP_STEP: "Setup step",
    SETUP_TEARDOWN: "Teardown",
    SETUP_DRIFT_CHECK: "Checked a setup for drift",
    TARGET_TRACKED: "Started tracking",
    TARGET_UNTRACKED: "Stopped tracking",
    MIGRATION: "Move to ECS blue/green",
    RELEASE_CHANGE: "Release change",
    STOP_EXECUTION: "Stop execution",
    RETRY_STAGE: "Retry stage",
    REROUTE: "Reroute traffic",
    ROLLBACK: "Stop and roll back",
    TERMINATE_ORIGINAL: "Terminate original task set",
    REDEPLOY_PREVIOUS: "Redeploy previous revision",
    APPROVE: "Approve",
    REJECT: "Reject",
    CONTINUE_HOOK: "Continue (ECS pause hook)",
    FREEZE_SET: "Freeze set",
    FREEZE_ENDED: "Freeze ended",
    FREEZE_OVERRIDDEN: "Freeze overridden",
    FOUR_EYES_KINDS_SET: "Four eyes chosen",
    FOUR_EYES_REQUESTED: "Asked a second operator",
    FOUR_EYES_APPROVED: "Approved as second operator",
    FOUR_EYES_DECLINED: "Declined as second operator",
    SMOKE_SETTINGS_SET: "Smoke checks set",
    SMOKE_STARTED: "Smoke checks started",
    SMOKE_FINISHED: "Smoke checks finished",
    EXECUTION_STARTED: "Execution started",
    STAGE_FAILED: "Stage failed",
    APPROVAL_WAITING: "Approval waiting",
    EXECUTION_FINISHED: "Execution finished",
    DEPLOYMENT_CREATED: "Deployment created",
    LIFECYCLE_EVENT: "Lifecycle event",
    DEPLOYMENT_READY: "Ready for reroute",
    TRAFFIC_REROUTED: "Traffic rerouted",
    ORIGINAL_TERMINATED: "Original task set terminated",
    DEPLOYMENT_FINISHED: "Deployment finished",
    ROLLED_BACK: "Rolled back",
}
