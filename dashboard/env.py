"""Strict readers of settings from the environment: a bad value stops start-up with a clear message.

Every setting X may instead come from a file named by X_FILE (Docker and Kubernetes secrets), as in
healthchecks: SECRET_KEY_FILE=/run/secrets/secret_key. The file's trailing newline is not part of the value.
"""

import os
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def _raw(name):
    value = os.environ.get(name)
    path = os.environ.get(f"{name}_FILE")
    if path:
        if value is not None:
            raise ImproperlyConfigured(f"Set {name} or {name}_FILE, not both.")
        try:
            value = Path(path).read_text().rstrip("\r\n")
        except OSError as exc:
            raise ImproperlyConfigured(f"{name}_FILE names a file that cannot be read: {exc}") from None
    return None if value is None else value.strip()


def env_str(name, default=""):
    value = _raw(name)
    return default if value is None or value == "" else value


def env_bool(name, default=False):
    value = _raw(name)
    if value is None:
        return default
    if value.lower() in _TRUE:
        return True
    if value.lower() in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name} must be true or false (1/0, yes/no, on/off); got {value!r}.")


def env_int(name, default, minimum=None, maximum=None):
    value = _raw(name)
    if value is None or value == "":
        return default
    try:
        number = int(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number; got {value!r}.") from None
    if minimum is not None and number < minimum or maximum is not None and number > maximum:
        raise ImproperlyConfigured(f"{name} must be between {minimum} and {maximum}; got {number}.")
    return number


def env_float(name, default, minimum=0.0):
    value = _raw(name)
    if value is None or value == "":
        return default
    try:
        number = float(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a number; got {value!r}.") from None
    if number < minimum:
        raise ImproperlyConfigured(f"{name} must be at least {minimum}; got {number}.")
    return number


def env_list(name, default=()):
    value = _raw(name)
    if value is None or value == "":
        return list(default)
    return [item.strip() for item in value.split(",") if item.strip()]


def env_url(name, default="", schemes=("http", "https")):
    value = env_str(name, default)
    if value and not any(value.startswith(f"{scheme}://") for scheme in schemes):
        allowed = ", ".join(f"{scheme}://" for scheme in schemes)
        raise ImproperlyConfigured(f"{name} must start with one of {allowed}; got {value!r}.")
    return value
