"""One HTTP request of a smoke check, and whether its answer is what the check expects. Runs in workers only.

A GET with a deadline (the check's timeout, for connecting, reading and any redirects together), no retries, and
redirects followed only within the same scheme, host and port: a check never wanders to another host. At most
MAX_BODY bytes of the answer are read; nothing of it is kept but the JSON field a check looks at.
"""

import json
import time
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

import urllib3

USER_AGENT = "bluegreen-dashboard smoke check"
MAX_BODY = 64 * 1024
MAX_REDIRECTS = 3
REDIRECTS = (301, 302, 303, 307, 308)
SHOWN_VALUE = 100  # characters of a JSON value kept to say what it was

_pool = urllib3.PoolManager(num_pools=20, maxsize=4, retries=False)


@dataclass
class Answer:
    url: str
    status: int | None = None
    body: bytes = b""
    ms: int = 0
    error: str = ""  # why there is no answer to judge (no connection, no answer in time, a redirect elsewhere)


def join(base, path):
    """The check's path under the base URL (which may carry a path of its own)."""
    return base.rstrip("/") + "/" + path.lstrip("/")


def _origin(url):
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower()


def get(url, timeout, *, json_wanted=False):
    """GET `url` within `timeout` seconds in all."""
    started = time.monotonic()
    deadline = started + timeout
    headers = {"User-Agent": USER_AGENT, "Accept": "application/json" if json_wanted else "*/*"}
    answer = Answer(url)
    try:
        for _ in range(MAX_REDIRECTS + 1):
            left = max(deadline - time.monotonic(), 0.001)
            response = _pool.request(
                "GET",
                answer.url,
                headers=headers,
                timeout=urllib3.Timeout(total=left),
                redirect=False,
                retries=False,
                preload_content=False,
            )
            try:
                answer.status, answer.body = response.status, response.read(MAX_BODY)
            finally:
                response.release_conn()
            location = response.headers.get("Location")
            if response.status not in REDIRECTS or not location:
                break
            following = urljoin(answer.url, location)
            if _origin(following) != _origin(url):
                answer.error = f"redirected to {_origin(following)}, another host: not followed"
                break
            answer.url = following
        else:
            answer.error = f"more than {MAX_REDIRECTS} redirects"
    except urllib3.exceptions.NewConnectionError as error:  # refused, or no such host (before timeouts: a subclass)
        answer.status, answer.body, answer.error = None, b"", f"could not connect ({_plain(error)})"
    except urllib3.exceptions.TimeoutError:
        answer.status, answer.body, answer.error = None, b"", f"no answer within {timeout:g} s"
    except urllib3.exceptions.HTTPError as error:
        answer.status, answer.body, answer.error = None, b"", f"the connection failed ({_plain(error)})"
    answer.ms = round((time.monotonic() - started) * 1000)
    return answer


def _plain(error):
    """urllib3's message without the connection object it starts with: "HTTPConnection(host=…): <what went wrong>"."""
    text = str(error)
    return text.split("): ", 1)[1] if text.startswith(("HTTPConnection(", "HTTPSConnection(")) else text


def evaluate(check, answer):
    """(passed, why not) of one answer against one check."""
    if answer.error:
        return False, answer.error
    if answer.status != check["status"]:
        return False, f"expected status {check['status']}, got {answer.status}"
    text = answer.body.decode("utf-8", errors="replace")
    if check.get("body_text") and check["body_text"] not in text:
        return False, f"the body does not contain “{check['body_text']}”"
    if check.get("json_field"):
        return _json_field(check, text)
    return True, ""


MISSING = object()


def _json_field(check, text):
    try:
        data = json.loads(text)
    except ValueError:
        return False, "the body is not JSON"
    value = dotted(data, check["json_field"])
    if value is MISSING:
        return False, f"the JSON has no field {check['json_field']}"
    expected = check.get("json_value", "")
    shown = value if isinstance(value, str) else json.dumps(value)
    if expected and shown != expected:
        return False, f"{check['json_field']} is “{shown[:SHOWN_VALUE]}”, expected “{expected}”"
    return True, ""


def dotted(data, path):
    """data["a"]["b"][0] for "a.b.0"; MISSING when there is no such field."""
    for key in path.split("."):
        if isinstance(data, dict) and key in data:
            data = data[key]
        elif isinstance(data, list) and key.isdigit() and int(key) < len(data):
            data = data[int(key)]
        else:
            return MISSING
    return data
