"""What every text a person or a URL hands the product must pass: no control characters. PostgreSQL refuses NUL
in text and JSON (a DataError, so a 500), and the other control characters are never meant in a name or a filter."""

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
