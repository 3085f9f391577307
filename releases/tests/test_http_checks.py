"""One smoke check attempt against a real local HTTP service: what passes, and each way it fails, said plainly."""

import socket

from releases.worker.http_checks import evaluate, get, join

from .smoke_server import App, check


def attempt(app, **changes):
    spec = check(**changes)
    answer = get(join(app.url + "/", spec["path"]), spec["timeout"], json_wanted=bool(spec["json_field"]))
    return answer, evaluate(spec, answer)


def test_a_healthy_answer_passes_with_its_status_and_time(app):
    answer, verdict = attempt(app, body_text="green is ok")
    assert verdict == (True, "")
    assert answer.status == 200 and answer.url == f"{app.url}/health" and answer.ms >= 0
    assert app.requests[-1]["accept"] == "*/*"


def test_a_json_field_is_read_by_its_dotted_path_with_json_asked_for(app):
    assert attempt(app, json_field="color", json_value="green")[1] == (True, "")
    assert app.requests[-1]["accept"] == "application/json"
    assert attempt(app, json_field="build.number", json_value="7")[1] == (True, "")
    assert attempt(app, json_field="build")[1] == (True, "")  # no value asked for: being there is enough
    assert attempt(app, json_field="color", json_value="blue")[1] == (False, "color is “green”, expected “blue”")
    assert attempt(app, json_field="build.sha")[1] == (False, "the JSON has no field build.sha")


def test_each_failure_says_what_was_expected_and_what_came(app):
    app.status = 503
    assert attempt(app)[1] == (False, "expected status 200, got 503")
    assert attempt(app, status=503)[1] == (True, "")
    app.status = 200
    assert attempt(app, body_text="blue is ok")[1] == (False, "the body does not contain “blue is ok”")
    app.body = b"not json"
    assert attempt(app, json_field="color")[1] == (False, "the body is not JSON")


def test_a_slow_answer_fails_at_the_checks_timeout(app):
    app.delay = 1.5
    answer, verdict = attempt(app, timeout=1)
    assert verdict == (False, "no answer within 1 s")
    assert answer.status is None and 900 <= answer.ms < 1500


def test_nothing_listening_fails_as_a_refused_connection():
    with socket.socket() as free:
        free.bind(("127.0.0.1", 0))
        port = free.getsockname()[1]
    answer = get(f"http://127.0.0.1:{port}/health", 2)
    ok, why = evaluate(check(), answer)
    assert not ok and why.startswith("could not connect")


def test_redirects_are_followed_on_the_same_host_only(app):
    other = App(color="blue")
    try:
        app.location = "/elsewhere"
        first = get(f"{app.url}/health", 2)
        assert first.error == "more than 3 redirects"  # it redirects every path, itself included
        app.location = f"{other.url}/health"
        answer, verdict = attempt(app)
        assert verdict == (False, f"redirected to {other.url}, another host: not followed")
        assert other.requests == []
    finally:
        other.stop()


def test_a_base_url_with_a_path_keeps_it():
    assert join("http://example.com/app/", "/health") == "http://example.com/app/health"
    assert join("http://example.com", "/health?full=1") == "http://example.com/health?full=1"
