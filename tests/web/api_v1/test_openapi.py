"""The write API's OpenAPI document: every route, its body and its errors, as served."""

from __future__ import annotations

import json

from jsonschema import Draft202012Validator

from statuspage.web.api_v1 import PREFIX
from statuspage.web.api_v1.routes import OPERATIONS
from tests.web.api_v1.shared import OPEN


def test_openapi_document_describes_every_route(app, client) -> None:
    response = client.get(f"{PREFIX}/openapi.json")  # no token
    assert response.status_code == 200
    document = json.loads(response.get_data(as_text=True))
    assert document["openapi"].startswith("3.1.")
    assert document["components"]["securitySchemes"]["bearer"] == {
        "type": "http",
        "scheme": "bearer",
    }
    registered = {
        (rule.rule.replace("<", "{").replace(">", "}"), method.lower())
        for rule in app.url_map.iter_rules()
        if rule.rule.startswith(PREFIX + "/")
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }
    described = {
        (path, method)
        for path, item in document["paths"].items()
        for method in item
        if method != "parameters"
    }
    assert described == registered
    assert len(registered) == len(OPERATIONS)


def test_openapi_request_bodies_and_errors(client) -> None:
    paths = client.get(f"{PREFIX}/openapi.json").json["paths"]
    create = paths[f"{PREFIX}/incidents"]["post"]
    schema = create["requestBody"]["content"]["application/json"]["schema"]
    assert schema["required"] == ["name", "status"]
    assert schema["additionalProperties"] is False
    assert "investigating" in schema["properties"]["status"]["enum"]
    assert "major_outage" in schema["properties"]["components"]["additionalProperties"]["enum"]
    assert {"201", "400", "401", "403", "413", "422"} <= set(create["responses"])
    assert "Location" in create["responses"]["201"]["headers"]
    status = paths[f"{PREFIX}/components/{{slug}}/status"]
    assert status["put"]["requestBody"]["content"]["application/json"]["schema"]["required"] == [
        "status"
    ]
    assert "requestBody" not in status["delete"]
    assert paths[f"{PREFIX}/openapi.json"]["get"]["security"] == []


def test_openapi_error_shape_matches_the_errors(client) -> None:
    document = client.get(f"{PREFIX}/openapi.json").json
    error = document["components"]["schemas"]["Error"]
    refused = client.post(f"{PREFIX}/incidents", json=OPEN)
    assert set(refused.json) == set(error["properties"]) == set(error["required"])
    assert refused.json["error"] in error["properties"]["error"]["enum"]


def test_openapi_request_bodies_are_valid_json_schema(client) -> None:
    # The same schemas check the requests: one that is not valid JSON Schema breaks its route.
    paths = client.get(f"{PREFIX}/openapi.json").json["paths"]
    bodies = [
        operation["requestBody"]["content"]["application/json"]["schema"]
        for item in paths.values()
        for method, operation in item.items()
        if method != "parameters" and "requestBody" in operation
    ]
    assert len(bodies) == 10  # the heartbeat beat too
    for schema in bodies:
        Draft202012Validator.check_schema(schema)
