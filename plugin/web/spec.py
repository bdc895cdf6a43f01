"""Route declarations: one source for request validation and the OpenAPI document.

A view declares what it takes and answers with :func:`declare`; the same pydantic models
validate the request (the view receives ``body=`` and ``query=`` already checked) and
produce the JSON Schema of ``/api/v1/openapi.json`` (``plugin/web/openapi.py``)::

    @bp.post("/requests")
    @declare("Create a request", body=CreateRequest, responses={201: RequestOut, 409: ErrorBody})
    def create_request(body: CreateRequest): ...

Errors keep the project's one shape: a body that fails validation is 422 ``invalid_fields``
with a message per field, query parameters 400 ``invalid_parameter``. Text never contains
NUL characters or lone surrogates (422 naming the field).
"""
from __future__ import annotations

import functools
from dataclasses import dataclass, field
from typing import Any, Callable, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, ValidationError
from pydantic_core import ErrorDetails
from typing_extensions import Annotated

from plugin.web.errors import ApiError
from plugin.web.validation import json_body

Auth = Literal["api_key", "none", "webhook_secret", "metrics", "session", "admin"]


def _clean_text(value: str) -> str:
    if "\x00" in value or any(0xD800 <= ord(c) <= 0xDFFF for c in value):
        raise ValueError("must not contain NUL characters or lone surrogates")
    return value


# Every text field of every body and query goes through this check.
SafeText = Annotated[str, AfterValidator(_clean_text)]


class Body(BaseModel):
    """Base of request bodies: unknown fields are refused, types are not coerced."""

    model_config = ConfigDict(extra="forbid", strict=True)


class Query(BaseModel):
    """Base of query parameters (strings from the URL, converted)."""

    model_config = ConfigDict(extra="ignore")


@dataclass(frozen=True)
class RawBody:
    """A body the view validates itself (e.g. against the settings table); ``schema`` documents it."""

    schema: dict[str, Any] | Callable[[], dict[str, Any]]
    content_types: tuple[str, ...] = ("application/json",)
    parse: bool = True            # hand the view json_body() as ``body``

    def resolved(self) -> dict[str, Any]:
        return self.schema() if callable(self.schema) else self.schema


@dataclass(frozen=True)
class Operation:
    summary: str
    body: type[BaseModel] | RawBody | None = None
    query: type[BaseModel] | None = None
    responses: dict[int, Any] = field(default_factory=dict)   # status -> model, raw schema dict, or (type, schema)
    auth: Auth = "api_key"
    description: str | None = None
    tags: tuple[str, ...] = ()
    validate: bool = True


def declare(summary: str, *, body: type[BaseModel] | RawBody | None = None, query: type[BaseModel] | None = None,
            responses: dict[int, Any] | None = None, auth: Auth = "api_key", description: str | None = None,
            tags: tuple[str, ...] = (), validate: bool = True) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Attach an :class:`Operation` to a view and validate its input with it.

    ``validate=False`` only documents: for a view that still checks its input by hand (move
    that check into the models, then drop the flag)."""
    operation = Operation(summary, body, query, dict(responses or {200: None}), auth, description, tags, validate)

    def wrap(view: Callable[..., Any]) -> Callable[..., Any]:
        if not validate:
            view.openapi = operation  # type: ignore[attr-defined]
            return view

        @functools.wraps(view)
        def inner(*args: Any, **kwargs: Any) -> Any:
            if operation.query is not None:
                kwargs["query"] = parse_query(operation.query)
            if isinstance(operation.body, RawBody):
                if operation.body.parse:
                    kwargs["body"] = json_body()
            elif operation.body is not None:
                kwargs["body"] = parse_body(operation.body)
            return view(*args, **kwargs)

        inner.openapi = operation  # type: ignore[attr-defined]
        return inner
    return wrap


def operation_of(view: Callable[..., Any] | None) -> Operation | None:
    return getattr(view, "openapi", None)


def parse_body(model: type[BaseModel]) -> BaseModel:
    raw = json_body()            # 415 / 400 malformed_json / 400 invalid_body stay as they were
    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        raise ApiError(422, "invalid_fields", "some fields are not valid", field_errors(exc, raw)) from None


def parse_query(model: type[BaseModel]) -> BaseModel:
    from flask import request
    # An empty parameter means "not given", as it always has here.
    raw = {k: v for k, v in request.args.items() if v.strip() != ""}
    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        fields = field_errors(exc, raw)
        first = next(iter(fields))
        raise ApiError(400, "invalid_parameter", f"{first} {fields[first]}", fields) from None


def _location(loc: tuple[Any, ...]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        elif not out:
            out = str(part)
        elif not str(part).startswith(("function-", "literal", "constrained")):
            out += f".{part}"
    return out or "body"


def _message(error: ErrorDetails, raw: Any) -> str:
    kind, ctx = error["type"], error.get("ctx") or {}
    value = raw
    for part in error["loc"]:
        value = value.get(part) if isinstance(value, dict) else (
            value[part] if isinstance(value, list) and isinstance(part, int) and part < len(value) else None)
    if kind == "missing":
        return "required"
    if kind == "extra_forbidden":
        return "unknown field"
    if value is None and kind.endswith("_type"):
        return "cannot be null"
    if kind == "string_unicode":
        return "must not contain NUL characters or lone surrogates"
    if kind == "string_type":
        return "must be a string"
    if kind == "string_too_long":
        return f"at most {ctx.get('max_length')} characters"
    if kind == "string_too_short":
        return "must not be empty"
    if kind in ("int_type", "int_parsing", "int_from_float"):
        return "must be a whole number"
    if kind in ("greater_than_equal", "less_than_equal", "greater_than", "less_than"):
        return error["msg"].replace("Input should be", "must be")
    if kind == "literal_error":
        return f"must be one of {ctx.get('expected')}"
    if kind == "too_long":
        return f"at most {ctx.get('max_length')} items"
    if kind == "list_type":
        return "must be a list"
    if kind == "bool_type" or kind == "bool_parsing":
        return "must be true or false"
    if kind == "value_error":
        return str(ctx.get("error") or error["msg"]).removeprefix("Value error, ")
    return error["msg"]


def field_errors(exc: ValidationError, raw: Any, limit: int = 50) -> dict[str, str]:
    """pydantic's errors as the project's ``fields`` object: one message per field, at most ``limit``."""
    out: dict[str, str] = {}
    for error in exc.errors(include_url=False, include_input=False, include_context=True):
        name = _location(error["loc"])
        if name not in out and len(out) < limit:
            out[name] = _message(error, raw)
    return out
