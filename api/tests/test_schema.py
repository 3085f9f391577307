"""The OpenAPI document: valid, naming every endpoint and the token scheme, and its browsable page served from the
product's own static files (no CDN: the CSP allows only our origin, and some users are offline)."""

import re

from openapi_spec_validator import validate

from api.tests.conftest import bearer


def test_the_openapi_document_is_valid_and_names_every_endpoint(client, read_token):
    document = client.get("/api/schema", headers=bearer(read_token)).json()
    validate(document)
    assert set(document["paths"]) == {
        "/api/targets",
        "/api/targets/{pk}",
        "/api/targets/{pk}/actions",
        "/api/targets/{pk}/actions/{kind}",
        "/api/actions/{pk}",
        "/api/targets/{pk}/four-eyes",
        "/api/four-eyes/{pk}",
        "/api/four-eyes/{pk}/{answer}",
        "/api/history",
        "/api/history/export",
    }
    assert document["components"]["securitySchemes"]["TokenAuth"] == {"type": "http", "scheme": "bearer"}


def test_the_document_needs_a_token_or_a_signed_in_user(client, viewer):
    assert client.get("/api/schema").status_code == 401
    client.force_login(viewer)
    assert client.get("/api/schema").status_code == 200


def test_the_browsable_page_is_for_signed_in_users_and_loads_nothing_from_elsewhere(client, viewer):
    assert client.get("/api/docs")["Location"] == "/sign-in/?next=/api/docs"
    client.force_login(viewer)
    page = client.get("/api/docs").content.decode()
    sources = re.findall(r'(?:src|href)="([^"]+)"', page)
    assert any(s.endswith("swagger-ui-bundle.js") for s in sources)
    assert all(s.startswith("/static/") for s in sources), sources
    for source in sources:
        assert client.get(source).status_code == 200, source
