"""What every text a person or a URL hands the product must pass: no control characters. PostgreSQL refuses NUL
in text and JSON (a DataError, so a 500), and the other control characters are never meant in a name or a filter."""

import re

from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.http import HttpResponseBadRequest

# NUL is left to Django's ProhibitNullCharactersValidator, which every form CharField has; tab and line breaks may
# be in a reason typed in a textarea.
CONTROL_CHARACTERS = r"[\x01-\x08\x0b\x0c\x0e-\x1f\x7f]"

no_control_characters = RegexValidator(
    CONTROL_CHARACTERS,
    inverse_match=True,
    message="Remove the control characters from this value.",
    code="control_characters",
)


class PathSegmentConverter:
    """Like `str` (one path segment), but a segment holding a control character (NUL included) matches no URL."""

    regex = r"[^/\x00-\x1f\x7f]+"

    def to_python(self, value):
        return value

    def to_url(self, value):
        return value


class PathConverter(PathSegmentConverter):
    """Like `path` (slashes allowed), without control characters."""

    regex = r"[^\x00-\x1f\x7f]+"


def bad_request(form, what="invalid query"):
    """400, naming each field a form refused and why: the answer to a query string or path a page cannot show."""
    errors = "; ".join(f"{field}: {' '.join(messages)}" for field, messages in form.errors.items())
    return HttpResponseBadRequest(f"{what}: {errors}", content_type="text/plain; charset=utf-8")


def pattern_validator(regex, message, *, min_length=1, max_length=None):
    compiled = re.compile(regex)

    def validate(value):
        if len(value) < min_length or (max_length and len(value) > max_length):
            bounds = f"{min_length} to {max_length}" if max_length else f"at least {min_length}"
            raise ValidationError(f"Use {bounds} characters (this has {len(value)}).")
        if not compiled.fullmatch(value):
            raise ValidationError(message)

    return validate


validate_region = pattern_validator(r"[a-z]{2}(?:-gov|-iso[a-z]?)?-[a-z]+-\d", "Not a region name, such as us-east-1.")
validate_profile = pattern_validator(
    r"[\w+=,.@-]*", "A profile name has letters, digits and + = , . @ _ - only.", min_length=0
)
validate_role_arn = pattern_validator(
    r"arn:aws[\w-]*:iam::\d{12}:role/[\w+=,.@/-]{1,512}",
    "A role ARN looks like arn:aws:iam::123456789012:role/release-dashboard.",
    max_length=2048,
)
validate_external_id = pattern_validator(
    r"[\w+=,.@:/-]*", "An external id has letters, digits and + = , . @ : / - only.", min_length=2, max_length=1224
)
validate_session_name = pattern_validator(
    r"[\w+=,.@-]*", "A session name has letters, digits and + = , . @ _ - only.", min_length=2, max_length=64
)
