"""API conventions: problem+json for every error, the OpenAPI document, body guards."""

from __future__ import annotations

import pytest
from openapi_spec_validator import validate

PROBLEM = "application/problem+json"


def assert_problem(response, status):
    assert response.status_code == status, response.data
    assert response.content_type == PROBLEM
    body = response.json
    assert body["status"] == status
    assert body["type"].startswith("https://") and body["title"] and body["detail"]
    return body


def test_openapi_document_is_valid_openapi_3(client):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    spec = response.json
    assert spec["openapi"].startswith("3.")
    validate(spec)
    assert "/api/v1/auth/token" in spec["paths"]


def test_interactive_docs_load_their_assets_from_our_own_origin(client):
    page = client.get("/api/v1/docs")
    assert page.status_code == 200
    assert b"/api/v1/docs/static/swagger-ui-bundle.js" in page.data
    assert client.get("/api/v1/docs/static/swagger-ui-bundle.js").status_code == 200


def test_malformed_json_is_a_400_problem(client):
    response = client.post("/api/v1/auth/token", data="{not json", content_type="application/json")
    assert "not valid JSON" in assert_problem(response, 400)["detail"]


@pytest.mark.parametrize("body", ["[1, 2]", '"text"', "42", "null"])
def test_a_body_that_is_not_an_object_is_a_400_problem(client, body):
    response = client.post("/api/v1/auth/token", data=body, content_type="application/json")
    assert_problem(response, 400)


def test_a_body_that_is_not_json_is_a_415_problem(client):
    response = client.post("/api/v1/auth/token", data="email=a", content_type="text/plain")
    assert_problem(response, 415)


def test_unknown_api_route_is_a_404_problem(client):
    assert_problem(client.get("/api/v1/no-such-thing"), 404)


def test_wrong_method_is_a_405_problem_with_allow_header(client):
    response = client.delete("/api/v1/auth/token")
    assert_problem(response, 405)
    assert "POST" in response.headers["Allow"]


def test_validation_errors_name_each_field(client):
    body = assert_problem(client.post("/api/v1/auth/token", json={"email": 5}), 422)
    assert body["errors"] == {
        "email": ["Not a valid string."],
        "password": ["Missing data for required field."],
    }


@pytest.fixture
def app_config():
    return {"MAX_CONTENT_LENGTH": 1024}


def test_a_body_over_the_configured_maximum_is_a_413_problem(client):
    response = client.post("/api/v1/auth/token", json={"email": "x" * 4096, "password": "p"})
    assert_problem(response, 413)


def test_an_unexpected_error_is_a_500_problem_without_traceback(app, client):
    from register.extensions import api  # noqa: F401

    app.config["PROPAGATE_EXCEPTIONS"] = False

    @app.get("/api/v1/_boom")
    def boom():
        raise RuntimeError("secret internals")

    response = client.get("/api/v1/_boom")
    body = assert_problem(response, 500)
    assert "secret" not in response.get_data(as_text=True)
    assert "Traceback" not in response.get_data(as_text=True)
    assert body["detail"] == "Internal server error"


def test_problem_field_paths_flatten_nested_errors():
    from register.errors import flatten_errors

    nested = {
        "items": {0: {"imei": ["bad"]}, 1: {"_schema": ["x"]}},
        "seller": {"id_document": {"number": ["required"]}},
    }
    assert flatten_errors(nested) == {
        "items.0.imei": ["bad"],
        "items.1": ["x"],
        "seller.id_document.number": ["required"],
    }


def test_pagination_rejects_more_than_500_per_page():
    from marshmallow import ValidationError

    from register.apiutil import PageArgs

    with pytest.raises(ValidationError) as excinfo:
        PageArgs().load({"per_page": 501})
    assert "per_page" in excinfo.value.messages
