"""Bounded fuzzing of every route: seeded hostile query strings, path parts and form bodies, signed in as an admin
on data that exists. Bad input must get a 4xx or the page with the field's error, never a 5xx.

Nothing reaches AWS or the broker: web code never calls AWS, jobs are queued on commit, and each request runs in a
savepoint that is rolled back, so no transaction ever commits (and every request sees the same data).
"""

import logging
import os
import random
from collections import Counter
from urllib.parse import quote, urlencode, urljoin, urlsplit

import pytest
from django.conf import settings
from django.db import transaction
from django.test import Client
from django.urls import Resolver404, resolve

from dashboard.audit import AuditEvent, record
from dashboard.models import ConnectionCheck
from dashboard.tests.fuzzing import SHARP, FormFields, encoded, hostile_text, post_data, query_string, routes
from provisioning.tests.factories import make_setup
from provisioning.worker import steps
from releases import action_kinds
from releases.models import Execution, OperatorAction, ReleaseTarget, TrackRequest
from sandbox_console.models import ImagePush, SandboxHealth

SEED = int(os.environ.get("FUZZ_SEED", "1312"))
REQUESTS_PER_ROUTE = int(os.environ.get("FUZZ_REQUESTS_PER_ROUTE", "50"))


@pytest.fixture
def existing(db, settings):
    """One of each thing a path names, as valid path values by route name and by parameter name."""
    settings.AWS_ENDPOINT_URL = "http://127.0.0.1:9"  # the discard port: nothing is there, nothing may call it
    SandboxHealth.objects.create(endpoint_url=settings.AWS_ENDPOINT_URL, document={"sandbox": True})
    record("pipeline.execution_started", outcome=AuditEvent.OBSERVED, scope="shop", params={"execution_id": "e-1"})
    target = ReleaseTarget.objects.create(name="shop", pipeline_name="shop", region="us-east-1")
    Execution.objects.create(target=target, execution_id="e-1", status="InProgress")
    action = OperatorAction.objects.create(target=target, kind="reroute", reason="r", status="confirmed")
    setup, run = make_setup("shop")
    by_route = {
        "connection-check-detail": {"pk": [ConnectionCheck.objects.create().pk]},
        "image-push-detail": {"pk": [ImagePush.objects.create(repository="nginx").pk]},
        "release-track-status": {"pk": [TrackRequest.objects.create(pipeline_name="shop").pk]},
        "release-action-status": {"pk": [action.pk]},
        "setup-run": {"pk": [run.pk]},
        "setup-run-retry": {"pk": [run.pk]},
        "setup-step": {"step": list(steps.KEYS)},
        "setup-file": {"filename": ["appspec.yaml", "taskdef.json", "source.zip"]},
        "release-action": {"kind": list(action_kinds.KINDS)},
    }
    by_name = {"pk": [target.pk], "name": [setup.name], "scope": ["shop"], "execution_id": ["e-1"]}
    return by_route, by_name


def known_values(route, name, by_route, by_name):
    return by_route.get(route.name, {}).get(name) or by_name.get(name, [])


def path_value(rng, route, by_route, by_name, hostile=0.4):
    """The route's path: each parameter an existing value, or (with the chance `hostile`) a hostile one."""

    def value_of(name, converter):
        known = known_values(route, name, by_route, by_name)
        if known and rng.random() >= hostile:
            return quote(str(rng.choice(known)), safe="")
        return encoded(rng, hostile_text(rng), safe="/" if "path" in converter else "") or "x"

    return route.path(value_of)


def offered_fields(client, all_routes, by_route, by_name):
    """What the pages offer to send, read from every page fetched with valid path values: all of it together, the
    query parameters of each page's links, and the fields of the forms that post to each route."""
    everything, queries, forms = FormFields(), {}, {}
    for route in all_routes:
        path = path_value(random.Random(0), route, by_route, by_name, hostile=0)
        response = client.get(path)
        if response.status_code != 200 or "html" not in response.get("Content-Type", ""):
            continue
        page = FormFields()
        for fields in (everything, page):
            fields.feed_page(response.content.decode())
        queries.setdefault(route.name, set()).update(page.query, page.values)
        for link, names in page.links.items():  # the page's fields too: a filter or a cursor travels in links
            if linked := route_of(urljoin(path, link)):
                queries.setdefault(linked, set()).update(names, page.values)
        for action, fields in page.forms.items():
            for name, values in fields.items():
                forms.setdefault(route_of(urljoin(path, action)), {}).setdefault(name, set()).update(values)
    return everything, queries, forms


def route_of(url):
    try:
        return resolve(urlsplit(url).path).url_name
    except Resolver404:
        return None


def sharp_path(route, parameter, value, by_route, by_name):
    """The route's path with existing values, but `value` in `parameter`."""

    def value_of(name, converter):
        if name == parameter:
            return quote(value, safe="") or "x"
        return quote(str([*known_values(route, name, by_route, by_name), "x"][0]), safe="")

    return route.path(value_of)


def valid_body(fields):
    return {name: sorted(values)[0] for name, values in fields.items()}


def names_for(rng, own, everything):
    """Mostly the names the route's own page uses, sometimes any name a page uses."""
    return sorted(own if own and rng.random() < 0.7 else everything)


def send(client, method, url, data):
    """The response, its body read (an export streams), in a savepoint that is rolled back."""
    savepoint = transaction.savepoint()
    try:
        response = client.post(url, data) if method == "POST" else client.get(url)
        if response.streaming:
            b"".join(response.streaming_content)
        return response
    finally:
        transaction.savepoint_rollback(savepoint)


class Fuzzer:
    """Sends requests as one signed-in client and keeps every 5xx (or exception) with the input that caused it."""

    def __init__(self, client):
        self.client = client
        self.session = client.cookies[settings.SESSION_COOKIE_NAME].value
        self.failures, self.made = [], Counter()

    def __call__(self, route, method, url, data=None):
        self.client.cookies[settings.SESSION_COOKIE_NAME] = self.session  # signed in again after a fuzzed sign-out
        self.made[route.name] += 1
        try:
            response = send(self.client, method, url, data)
        except Exception as error:  # noqa: BLE001 - collected with its input, reported together below
            self.failures.append((method, url, data, f"raised {type(error).__name__}: {error}"))
            return None
        if response.status_code >= 500:
            cause = response.exc_info[1] if response.exc_info else None
            self.failures.append((method, url, data, f"{response.status_code} {type(cause).__name__}: {cause}"))
        return response

    def report(self):
        return "\n".join(
            f"{method} {url[:300]} {repr(data)[:300] if data else ''}\n    -> {str(outcome)[:300]}"
            for method, url, data, outcome in self.failures[:40]
        )


def test_no_input_gets_a_server_error(existing, admin_user, caplog):
    caplog.set_level(logging.CRITICAL, logger="django.request")  # thousands of 400s and 404s; 500s are collected
    by_route, by_name = existing
    client = Client(raise_request_exception=False)
    client.force_login(admin_user)
    fuzz = Fuzzer(client)
    all_routes = list(routes())
    everything, queries, forms = offered_fields(client, all_routes, by_route, by_name)
    known = {**everything.query, **everything.values}
    rng = random.Random(SEED)
    for route in all_routes:
        valid_path = path_value(rng, route, by_route, by_name, hostile=0)
        methods = [m for m in ("GET", "POST") if getattr(fuzz(route, m, valid_path), "status_code", 0) != 405]
        methods = methods or ["GET"]
        query_names, fields = queries.get(route.name, set()), forms.get(route.name, {})
        # The sweep: each sharp value once in each path parameter, each query parameter of the page's links and
        # fields, and each field of the forms that post to the route.
        for value in SHARP:
            for parameter, _ in route.parameters:
                fuzz(route, methods[0], sharp_path(route, parameter, value, by_route, by_name))
            for name in query_names:
                query = {**valid_body({n: known.get(n, {""}) for n in query_names}), name: value}
                fuzz(route, "GET", f"{valid_path}?{urlencode(query)}")
            for name in fields if "POST" in methods else ():
                fuzz(route, "POST", valid_path, {**valid_body(fields), name: value})
        # Then at random: hostile values, several at once, in paths, queries and bodies.
        for number in range(REQUESTS_PER_ROUTE):
            method = methods[number % len(methods)]
            url = path_value(rng, route, by_route, by_name)
            query = query_string(rng, names_for(rng, query_names, known), known)
            url += "?" + query if query else ""
            body = post_data(rng, names_for(rng, set(fields), everything.values), known)
            fuzz(route, method, url, body if method == "POST" else None)
    total = sum(fuzz.made.values())
    print(f"fuzz: {total} requests over {len(fuzz.made)} routes, seed {SEED} (FUZZ_SEED=... to change it)")
    assert not fuzz.failures, f"seed {SEED}: {len(fuzz.failures)} of {total} requests failed:\n{fuzz.report()}"
    assert total >= 3000
