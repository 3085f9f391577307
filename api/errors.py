"""Every refusal as JSON: 400 names each field and what is wrong with it, the rest say why in `detail`."""

from django.core.exceptions import PermissionDenied
from django.http import Http404
from ninja.errors import ValidationError


class BadInput(Exception):
    """400: the fields refused, each with its messages."""

    def __init__(self, errors):
        super().__init__("invalid input")
        self.errors = {field: [str(message) for message in messages] for field, messages in errors.items()}


class Conflict(Exception):
    """409: not possible in the target's current state, or asked already; `code` names the kind of refusal."""

    def __init__(self, detail, code=""):
        super().__init__(detail)
        self.code = code


def _field_of(error):
    # ninja's location is where, then the parameter, then the field (body, body, reason): the field's own name.
    location = error.get("loc") or ["request"]
    return str(location[-1])


def install(api):
    @api.exception_handler(BadInput)
    def bad_input(request, exc):
        return api.create_response(request, {"detail": "invalid input", "errors": exc.errors}, status=400)

    @api.exception_handler(ValidationError)
    def invalid(request, exc):
        errors = {}
        for error in exc.errors:
            errors.setdefault(_field_of(error), []).append(error.get("msg", "invalid"))
        return api.create_response(request, {"detail": "invalid input", "errors": errors}, status=400)

    @api.exception_handler(PermissionDenied)
    def forbidden(request, exc):
        return api.create_response(request, {"detail": str(exc) or "Forbidden."}, status=403)

    @api.exception_handler(Http404)
    def not_found(request, exc):
        return api.create_response(request, {"detail": "Not found."}, status=404)

    @api.exception_handler(Conflict)
    def conflict(request, exc):
        body = {"detail": str(exc), **({"code": exc.code} if exc.code else {})}
        return api.create_response(request, body, status=409)
