"""Who is making a change right now, for audit events written by signal handlers that are not handed a request:
the signed-in user and address of the current request, or the management command being run."""

import getpass
from contextlib import contextmanager
from contextvars import ContextVar

_request = ContextVar("acting_request", default=None)
_command = ContextVar("acting_command", default=None)


class ActingRequestMiddleware:
    """Makes the request available to `acting_on()` while it is handled (after AuthenticationMiddleware)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        token = _request.set(request)
        try:
            return self.get_response(request)
        finally:
            _request.reset(token)


@contextmanager
def running_command(argv):
    """manage.py runs every command inside this, so that what a command changes is credited to it."""
    name = argv[1] if len(argv) > 1 and not argv[1].startswith("-") else "help"
    token = _command.set({"command": name, "os_user": _os_user()})
    try:
        yield
    finally:
        _command.reset(token)


def _os_user():
    try:
        return getpass.getuser()
    except (OSError, KeyError):  # no login name and no passwd entry, as in some containers
        return ""


def acting_on(params):
    """Keyword arguments for `audit.record` naming who acts: the request (its user and address), else the
    command with `params`, else "system" alone (a worker, a shell outside manage.py)."""
    request = _request.get()
    if request is not None:
        return {"request": request, "params": params}
    return {"params": {**params, **(_command.get() or {})}}


def token_name(request):
    """The name of the API token a request was made with (api/auth.py sets it), or "": the token acts as its owner,
    and the audit says which of the owner's tokens it was."""
    token = getattr(request, "api_token", None)
    return token.name if token is not None else ""
