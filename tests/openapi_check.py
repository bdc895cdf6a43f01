"""Checks real responses of the test suite against the OpenAPI document.

``watch(app)`` registers an ``after_request`` hook on a test app that finds the operation
for each answered request (by its URL rule and method) and validates the JSON body against
the documented response schema (the status's own, else ``default``); mismatches are
collected and the ``app`` fixture fails the test with them at teardown.
"""
from __future__ import annotations

from typing import Any

from flask import Flask, request
from jsonschema import Draft202012Validator

from plugin.web.openapi import build, openapi_path


# The document of each distinct set of routes, and the validators of its schemas: every test app
# has the same routes and views, and building the document for each of them (pydantic's schema
# generation) had cost the suite about a minute of CPU.
_DOCUMENTS: dict[tuple, dict[str, Any]] = {}
_VALIDATORS: dict[int, Draft202012Validator] = {}
_NO_ROUTE = {"default": {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorBody"}}}}}


def _view_id(app: Flask, endpoint: str) -> int:
    view = app.view_functions.get(endpoint)
    # a bound method (the app's own ``static`` view) is a new object at each look-up: its function is not
    return id(getattr(view, "__func__", view))


def _document(app: Flask) -> dict[str, Any]:
    routes = tuple(sorted((r.rule, r.endpoint, tuple(sorted(r.methods or ())), _view_id(app, r.endpoint))
                          for r in app.url_map.iter_rules()))
    if routes not in _DOCUMENTS:
        _DOCUMENTS[routes] = build(app)
    return _DOCUMENTS[routes]


class ResponseChecker:
    def __init__(self, app: Flask):
        self.app = app
        self.doc: dict[str, Any] | None = None
        self.problems: list[str] = []
        self.checked = 0

    def _validator(self, schema: dict[str, Any]) -> Draft202012Validator:
        key = id(schema)          # a schema of a cached document, which lives as long as the process
        if key not in _VALIDATORS:
            assert self.doc is not None
            root = {**schema, "components": self.doc["components"]}
            _VALIDATORS[key] = Draft202012Validator(root)
        return _VALIDATORS[key]

    def __call__(self, response):
        if self.doc is None:
            self.doc = _document(self.app)
        rule = request.url_rule
        method = request.method.lower()
        if rule is None or method in ("head", "options"):
            operation = None
        else:
            path, _ = openapi_path(rule)
            operation = self.doc["paths"].get(path, {}).get(method)
            if operation is None:
                self.problems.append(f"{request.method} {rule.rule} is not in the document")
                return response
        if operation is None:           # no route matched: 404/405 must still be the error shape
            responses = _NO_ROUTE
        else:
            responses = operation["responses"]
        documented = responses.get(str(response.status_code)) or responses.get("default")
        where = f"{request.method} {request.path} -> {response.status_code}"
        if documented is None:
            self.problems.append(f"{where}: status not documented")
            return response
        content = documented.get("content") or {}
        media = (response.mimetype or "").lower()
        if not content:
            return response
        if media not in content:
            self.problems.append(f"{where}: {media} not documented ({', '.join(content)})")
            return response
        schema = content[media].get("schema")
        if schema and media == "application/json":
            body = response.get_json(silent=True)
            errors = sorted(self._validator(schema).iter_errors(body), key=lambda e: list(e.path))
            for error in errors[:3]:
                self.problems.append(f"{where}: {'/'.join(map(str, error.path))}: {error.message[:200]}")
        self.checked += 1
        return response


def watch(app: Flask) -> ResponseChecker:
    checker = ResponseChecker(app)
    app.after_request(checker)
    return checker
