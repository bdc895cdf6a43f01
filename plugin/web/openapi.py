"""``GET /api/v1/openapi.json``: the OpenAPI 3.1 document, generated from the app itself.

Every rule of Flask's URL map becomes a path (``<int:id>`` → ``{id}``, typed). A view declared
with :func:`plugin.web.spec.declare` contributes its summary, query parameters, body and
responses, from the very pydantic models that validate its input; an undeclared view still
appears with its path parameters and the error shape, so nothing the app answers is
missing. Every operation documents the one error shape as its ``default`` response.
"""
from __future__ import annotations

import re
from typing import Any

from flask import Blueprint, Flask, current_app, jsonify
from pydantic import BaseModel
from pydantic.json_schema import JsonSchemaMode, models_json_schema
from werkzeug.routing import Rule

from plugin import __version__
from plugin.web.auth import access_of, public, require_api_key
from plugin.web.schemas import ErrorBody
from plugin.web.spec import Operation, RawBody, declare, operation_of

bp = Blueprint("openapi", __name__)
require_api_key(bp)
REF = "#/components/schemas/{model}"
_PARAM = re.compile(r"<(?:([a-zA-Z_][a-zA-Z0-9_]*)(?:\([^)]*\))?:)?([a-zA-Z_][a-zA-Z0-9_]*)>")
_CONVERTER_SCHEMA: dict[str, dict[str, Any]] = {"int": {"type": "integer", "minimum": 0}, "float": {"type": "number"},
                     "uuid": {"type": "string", "format": "uuid"}}
SECURITY: dict[str, list[dict[str, list[str]]]] = {
    "api_key": [{"apiKey": []}],
    "metrics": [{"apiKey": []}, {"bearer": []}, {}],
    "none": [],
    "webhook_secret": [],
    "session": [{"apiKey": []}, {"session": []}],
    "admin": [{"apiKey": []}, {"session": []}],
}
_STATUS_TEXT = {200: "OK", 201: "Created", 202: "Accepted", 204: "No content", 302: "Redirect",
                304: "Not modified", 400: "Bad parameter or malformed JSON", 401: "Missing or wrong credentials",
                403: "Forbidden", 404: "Not found", 409: "Conflict", 410: "Gone", 413: "Body too large",
                415: "Not JSON", 422: "Invalid fields", 429: "Too many attempts", 502: "Plex failed",
                503: "Plex or the database unavailable"}


def openapi_path(rule: Rule) -> tuple[str, list[dict[str, Any]]]:
    params: list[dict[str, Any]] = []

    def replace(match: re.Match) -> str:
        converter, name = match.group(1) or "default", match.group(2)
        schema = dict(_CONVERTER_SCHEMA.get(converter, {"type": "string"}))
        params.append({"name": name, "in": "path", "required": True, "schema": schema})
        return "{" + name + "}"
    return _PARAM.sub(replace, rule.rule), params


def _query_parameters(model: type[BaseModel], schemas: dict[str, Any]) -> list[dict[str, Any]]:
    schema = model.model_json_schema(ref_template=REF)
    for name, definition in (schema.pop("$defs", None) or {}).items():
        schemas.setdefault(name, definition)
    required = set(schema.get("required", ()))
    out = []
    for name, prop in schema.get("properties", {}).items():
        prop = dict(prop)
        description = prop.pop("description", None)
        prop.pop("title", None)
        param = {"name": name, "in": "query", "required": name in required, "schema": prop}
        if description:
            param["description"] = description
        out.append(param)
    return out


def _content(value: Any, refs: dict[Any, dict[str, Any]]) -> dict[str, Any] | None:
    """A response value: a model, a raw JSON Schema, ``(media type, schema)``, or None (no body)."""
    if value is None:
        return None
    if isinstance(value, tuple):
        media, schema = value
        return {media: {"schema": schema}}
    if isinstance(value, type) and issubclass(value, BaseModel):
        return {"application/json": {"schema": refs[(value, "serialization")]}}
    return {"application/json": {"schema": value}}


def _collect_models(ops: list[Operation]) -> list[tuple[type[BaseModel], JsonSchemaMode]]:
    wanted: dict[tuple[type[BaseModel], JsonSchemaMode], None] = {(ErrorBody, "serialization"): None}
    for op in ops:
        if isinstance(op.body, type) and issubclass(op.body, BaseModel):
            wanted[(op.body, "validation")] = None
        for value in op.responses.values():
            if isinstance(value, type) and issubclass(value, BaseModel):
                wanted[(value, "serialization")] = None
    return list(wanted)


def build(app: Flask) -> dict[str, Any]:
    rules = sorted(app.url_map.iter_rules(), key=lambda r: (r.rule, r.endpoint))
    declared = [op for op in (operation_of(app.view_functions.get(r.endpoint)) for r in rules) if op]
    refs, defs = models_json_schema(_collect_models(declared), ref_template=REF)
    schemas: dict[str, Any] = dict(defs.get("$defs", {}))
    error = {"description": "The one error shape", "content": _content(ErrorBody, refs)}
    paths: dict[str, dict[str, Any]] = {}
    for rule in rules:
        view = app.view_functions.get(rule.endpoint)
        op = operation_of(view)
        path, path_params = openapi_path(rule)
        methods = sorted(m for m in (rule.methods or ()) if m not in ("HEAD", "OPTIONS"))
        for method in methods:
            operation: dict[str, Any] = {"operationId": f"{rule.endpoint}.{method.lower()}".replace(".", "_"),
                                         "responses": {}}
            if path_params:
                operation["parameters"] = [dict(p) for p in path_params]
            if rule.rule.startswith("/api/"):
                access = access_of(view)
                operation["x-plexbooks-access"] = access
                operation["security"] = [] if access == "public" else SECURITY["session"]
            if op is None:
                doc = (view.__doc__ if view else None) or rule.endpoint
                operation["summary"] = doc.strip().splitlines()[0]
                operation["responses"]["200"] = {"description": "OK"}
            else:
                operation["summary"] = op.summary
                if op.description:
                    operation["description"] = op.description
                if op.tags:
                    operation["tags"] = list(op.tags)
                if op.auth != "api_key" or "security" not in operation:
                    operation["security"] = SECURITY[op.auth]
                if op.query is not None:
                    operation.setdefault("parameters", []).extend(_query_parameters(op.query, schemas))
                if isinstance(op.body, RawBody):
                    schema = op.body.resolved()
                    operation["requestBody"] = {"required": True, "content": {
                        media: {"schema": schema} for media in op.body.content_types}}
                elif op.body is not None:
                    operation["requestBody"] = {"required": True, "content": {
                        "application/json": {"schema": refs[(op.body, "validation")]}}}
                for status, value in sorted(op.responses.items()):
                    response: dict[str, Any] = {"description": _STATUS_TEXT.get(status, "Answer")}
                    if status >= 400 and value is None:
                        value = ErrorBody
                    content = _content(value, refs)
                    if content:
                        response["content"] = content
                    operation["responses"][str(status)] = response
            operation["responses"]["default"] = error
            paths.setdefault(path, {})[method.lower()] = operation
    return {
        "openapi": "3.1.0",
        "info": {"title": "plexbooks", "version": __version__,
                 "description": "The Plex side of an audiobook request manager. Lists are "
                                "{items, total, limit, offset}; errors are {error: {code, message, fields}}."},
        "servers": [{"url": "/"}],
        "paths": paths,
        "components": {
            "schemas": schemas,
            "securitySchemes": {
                "apiKey": {"type": "apiKey", "in": "header", "name": "X-Api-Key"},
                "bearer": {"type": "http", "scheme": "bearer",
                           "description": "The admin API key as a bearer token (GET /metrics)."},
                "session": {"type": "apiKey", "in": "cookie", "name": "plexbooks_session",
                            "description": "A signed-in user's session; unsafe methods also need X-CSRF-Token."},
            },
        },
    }


@bp.get("/api/v1/openapi.json")
@public
@declare("This OpenAPI 3.1 document", auth="none", tags=("meta",),
         responses={200: {"type": "object", "required": ["openapi", "paths"]}})
def document():
    """The OpenAPI 3.1 document of this API (no key needed)."""
    app = current_app._get_current_object()   # type: ignore[attr-defined]
    doc = app.extensions.get("plexbooks.openapi")
    if doc is None:
        doc = app.extensions["plexbooks.openapi"] = build(app)
    return jsonify(doc)
