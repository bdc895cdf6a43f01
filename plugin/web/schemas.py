"""The shapes of the API: request bodies and query parameters (validated with these models)
and responses (documented with them, and checked against real responses by the tests)."""
from __future__ import annotations

from typing import Any, Literal, Optional

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainValidator,
    StrictInt,
    WithJsonSchema,
)
from typing_extensions import Annotated

from plugin import notification_targets as targets
from plugin.asin import normalize_asin
from plugin.matching.evidence import MAX_DURATION_MS, check_duration_ms, check_language
from plugin.models import STATUSES
from plugin.outbox import EVENTS
from plugin.refresh import MAX_PATH
from plugin.web.spec import Body, Query, SafeText, _clean_text
from plugin.web.validation import MAX_OFFSET

Status = Literal[STATUSES]  # type: ignore[valid-type]


def _strip(value: str) -> str:
    return value.strip()


def _asin(value: str) -> str:
    asin = normalize_asin(value.strip())
    if asin is None:
        raise ValueError("not an ASIN: B0 and 8 letters or digits, or an ISBN-10")
    return asin


def _non_empty(value: str) -> str:
    if not value:
        raise ValueError("must not be empty")
    return value


def Text(max_length: int) -> Any:
    """Text up to ``max_length`` characters, stripped; no NUL characters or lone surrogates."""
    return Annotated[SafeText, Field(max_length=max_length), AfterValidator(_strip)]


# ``Text(n)`` for the lengths used below, spelled out: a type checker reads no call as a type.
Text128 = Annotated[SafeText, Field(max_length=128), AfterValidator(_strip)]
Text512 = Annotated[SafeText, Field(max_length=512), AfterValidator(_strip)]
Text4000 = Annotated[SafeText, Field(max_length=4000), AfterValidator(_strip)]
Text4096 = Annotated[SafeText, Field(max_length=4096), AfterValidator(_strip)]


def _empty_to_none(value: Optional[str]) -> Optional[str]:
    return value or None


Asin = Annotated[SafeText, Field(max_length=16, description="B0 and 8 letters or digits, or an ISBN-10"),
                 AfterValidator(_asin)]
Count = Annotated[StrictInt, Field(ge=0, le=1_000_000)]
# The matching evidence a request may carry (issue: runtime and language as evidence); the
# matcher's own validators decide, so the API and `plexbooks match-pairs` agree.
DurationMs = Annotated[int, PlainValidator(check_duration_ms), WithJsonSchema(
    {"type": "integer", "minimum": 1, "maximum": MAX_DURATION_MS, "description": "The audiobook's runtime in ms"})]
Language = Annotated[str, PlainValidator(check_language), WithJsonSchema(
    {"type": "string", "maxLength": 35, "description": 'A BCP 47 tag such as "en" or "de-DE"'})]


class CreateRequest(Body):
    title: Annotated[Text512, AfterValidator(_non_empty)]
    author: Annotated[Optional[Text512], AfterValidator(_empty_to_none)] = None
    narrator: Annotated[Optional[Text512], AfterValidator(_empty_to_none)] = None
    asin: Optional[Asin] = None
    user: Annotated[Optional[Text128], AfterValidator(_empty_to_none)] = None
    status: Status = "pending"
    duration_ms: Optional[DurationMs] = None
    language: Optional[Language] = None


class UpdateRequest(Body):
    status: Optional[Status] = None
    error_message: Annotated[Optional[Text4000], AfterValidator(_empty_to_none)] = None
    search_attempts: Optional[Count] = None
    download_attempts: Optional[Count] = None
    import_attempts: Optional[Count] = None
    duration_ms: Optional[DurationMs] = None
    language: Optional[Language] = None
    path: Annotated[Optional[Text4096], AfterValidator(_empty_to_none)] = Field(
        None, description="With status downloaded: the folder the pipeline filled; Plex is asked to scan it.")


class AvailabilityBody(Body):
    asins: Annotated[list[Asin], Field(max_length=1000)]


class NearMissDecision(Body):
    library_item_id: StrictInt = Field(description="The candidate's library item id (from the candidates list).")


def _page_fields(default: int, maximum: int) -> dict[str, Any]:
    return {"limit": Field(default, ge=1, le=maximum), "offset": Field(0, ge=0, le=MAX_OFFSET)}


class LibraryQuery(Query):
    limit: int = Field(50, ge=1, le=500)
    offset: int = Field(0, ge=0, le=MAX_OFFSET)
    q: Optional[Annotated[SafeText, Field(max_length=200), AfterValidator(_strip)]] = Field(
        None, description="Searches title, author, narrator; an ASIN exactly.")


class RequestsQuery(Query):
    limit: int = Field(50, ge=1, le=500)
    offset: int = Field(0, ge=0, le=MAX_OFFSET)
    status: Optional[Annotated[SafeText, Field(max_length=200)]] = Field(
        None, description="One status or several, comma-separated.")
    user: Optional[Annotated[SafeText, Field(max_length=128), AfterValidator(_strip)]] = None


class RunsQuery(Query):
    limit: int = Field(20, ge=1, le=200)
    offset: int = Field(0, ge=0, le=MAX_OFFSET)


class CandidatesQuery(Query):
    limit: int = Field(5, ge=1, le=50)


class DeleteQuery(Query):
    delete_from_plex: Annotated[Literal["true", "false", "1", "0"],
                                BeforeValidator(lambda v: v.lower() if isinstance(v, str) else v)] = "false"


# -- responses ------------------------------------------------------------------------------
class Out(BaseModel):
    model_config = ConfigDict(extra="allow")


class ErrorDetail(Out):
    code: str
    message: str
    fields: Optional[dict[str, str]] = None


class ErrorBody(BaseModel):
    """Every error: ``{"error": {"code", "message", "fields"}}`` (409s add ``reason`` and ``conflict``)."""

    model_config = ConfigDict(extra="forbid")
    error: ErrorDetail


class Health(Out):
    status: Literal["ok", "unhealthy"]
    database: Optional[str] = None


class LibraryItemOut(Out):
    id: int
    rating_key: str
    guid: str
    section_key: Optional[str] = None
    title: str
    author: Optional[str] = None
    narrator: Optional[str] = None
    asin: Optional[str] = None
    asin_source: Optional[str] = None
    external_guids: list[str] = []
    year: Optional[int] = None
    duration_ms: Optional[int] = None
    file_paths: list[str] = []
    summary: Optional[str] = None
    thumb: Optional[str] = None
    cover_url: Optional[str] = None
    user_rating: Optional[float] = None
    added_at: Optional[int] = None
    updated_at: Optional[int] = None
    first_seen_at: Optional[str] = None
    last_seen_at: Optional[str] = None


class Page(Out):
    total: int
    limit: int
    offset: int


class LibraryPage(Page):
    items: list[LibraryItemOut]


class LinkedItem(Out):
    id: int
    rating_key: str
    guid: str
    title: str
    author: Optional[str] = None


class MatchOut(Out):
    reason: str
    score: Optional[float] = None
    details: Optional[dict[str, Any]] = None


class RequestOut(Out):
    id: int
    user: Optional[str] = None
    title: str
    author: Optional[str] = None
    narrator: Optional[str] = None
    asin: Optional[str] = None
    duration_ms: Optional[int] = None
    language: Optional[str] = None
    status: Status
    error_message: Optional[str] = None
    search_attempts: int
    download_attempts: int
    import_attempts: int
    library_item: Optional[LinkedItem] = None
    match: Optional[MatchOut] = None
    created_at: Optional[str] = None
    updated_at: Optional[str] = None
    completed_at: Optional[str] = None


class RequestPage(Page):
    items: list[RequestOut]


class DeleteOut(Out):
    deleted: bool
    id: int
    plex: dict[str, Any]


class RejectedOut(Out):
    rejected: bool
    request_id: int
    library_item_id: int
    new: bool


class CandidateOut(Out):
    library_item: Optional[dict[str, Any]] = None
    match: bool
    reason: str
    score: float


class CandidatesPage(Page):
    items: list[CandidateOut]


class AvailabilityItem(Out):
    asin: str
    available: bool
    rating_key: Optional[str] = None
    guid: Optional[str] = None
    title: Optional[str] = None


class AvailabilityPage(Page):
    items: list[AvailabilityItem]


class JobRunOut(Out):
    id: int
    job: str
    trigger: str
    status: str
    progress: Optional[dict[str, Any]] = None
    started_at: Optional[str] = None
    finished_at: Optional[str] = None
    duration_s: Optional[float] = None
    summary: Optional[dict[str, Any]] = None
    error_class: Optional[str] = None
    error: Optional[str] = None


class RunsPage(Page):
    items: list[JobRunOut]


class JobOut(Out):
    name: str
    every_s: float
    interval_setting: str
    running: bool
    queued: bool
    current_run: Optional[JobRunOut] = None
    last_run: Optional[JobRunOut] = None
    next_run: Optional[Any] = None


class JobsPage(Page):
    items: list[JobOut]
    worker: Optional[dict[str, Any]] = None


class RunQueued(Out):
    status: Literal["queued"]
    job: str
    run_id: int


class StatusOut(Out):
    plex: dict[str, Any]
    webhook: dict[str, Any]
    inbox: dict[str, Any]
    websocket: dict[str, Any]
    worker: dict[str, Any]
    configured: dict[str, Any]
    library_configured: bool
    machine_identifier: Optional[str] = None
    last_scan: Optional[JobRunOut] = None
    last_recent_poll: Optional[JobRunOut] = None
    counts: dict[str, Any]
    deletion: Optional[dict[str, Any]] = None


class SettingOut(Out):
    value: Any = None
    source: Literal["default", "database", "env"]
    env: str
    secret: bool


class ConfigOut(Out):
    settings: dict[str, SettingOut]
    client_identifier: Optional[str] = None
    machine_identifier: Optional[str] = None
    webhook_url: Optional[str] = None


class WebhookAnswer(Out):
    status: Literal["accepted", "ignored"]
    event_id: Optional[int] = None
    coalesced: Optional[bool] = None
    reason: Optional[str] = None


# -- accounts (issue 8): documented; these views still check their input by hand ---------------
class PinRequest(Body):
    next: Optional[Annotated[SafeText, Field(max_length=500)]] = Field(None, description="A path on this site.")


class PinOut(Out):
    id: int
    code: str
    auth_url: str
    expires_at: str


class Waiting(Out):
    status: Literal["waiting"]


class UserOut(Out):
    id: str
    username: str
    kind: str
    role: Literal["admin", "user"]
    disabled: Optional[bool] = None
    last_seen_at: Optional[str] = None


class SignedInOut(Out):
    user: UserOut
    csrf_token: str


class LoginBody(Body):
    username: Annotated[SafeText, Field(min_length=1, max_length=1024)]
    password: Annotated[SafeText, Field(min_length=1, max_length=1024)]


class MeOut(Out):
    id: Optional[str] = None
    username: Optional[str] = None
    kind: str
    role: Literal["admin", "user"]
    csrf_token: Optional[str] = None


class RatingOut(Out):
    rating_key: str
    user_rating: Optional[float] = None
    library_item_id: Optional[int] = None
    title: Optional[str] = None
    author: Optional[str] = None


class RatingsPage(Page):
    items: list[RatingOut]


class UsersPage(Page):
    items: list[UserOut]


class UsersQuery(Query):
    limit: int = Field(50, ge=1, le=500)
    offset: int = Field(0, ge=0, le=MAX_OFFSET)


class NewLocalAdmin(Body):
    username: Annotated[SafeText, Field(min_length=1, max_length=255)]
    password: Annotated[SafeText, Field(min_length=12, max_length=1024)]


class UserChange(Body):
    role: Optional[Literal["admin", "user"]] = None
    disabled: Optional[bool] = None


class UserDeleted(Out):
    deleted: bool
    id: str


# -- notifications (issue 12) -------------------------------------------------------------------
# Each field's rule is plugin.notification_targets' own (the same messages everywhere); the
# rules that need the settings or the stored target (may the URL be called, a kind never
# changes, only Apprise targets have message text) stay in notification_targets.validate.
def _rule(check: Any) -> Any:
    """The validator of a notification field: its own rule, then the storable-text rule."""
    def run(value: Any) -> Any:
        checked = check(value)
        for text in checked if isinstance(checked, list) else [checked]:
            if isinstance(text, str):
                _clean_text(text)
        return checked
    return PlainValidator(run)


def _template_check(name: str) -> Any:
    limit = targets.TEMPLATE_LIMITS[name]
    return lambda v: targets.check_message_template(v, limit)


_TEMPLATE_HELP = "Apprise targets only: plain {field} names, e.g. \"{title} is ready\"."
TargetKind = Annotated[Any, _rule(targets.check_kind),
                       WithJsonSchema({"type": "string", "enum": list(targets.KINDS)})]
TargetUrl = Annotated[Any, _rule(targets.check_url_text), WithJsonSchema({
    "type": "string", "minLength": 1, "maxLength": 2048,
    "description": "webhook: an http(s) URL of the host app; apprise: an Apprise URL. Hosts other than Plex's "
                   "need notification_allowed_hosts."})]
TargetEvents = Annotated[Any, _rule(targets.check_events), WithJsonSchema({
    "type": "array", "minItems": 1, "items": {"type": "string", "enum": list(EVENTS)}})]
TargetEnabled = Annotated[Any, _rule(targets.check_enabled), WithJsonSchema({"type": "boolean"})]
TargetUser = Annotated[Any, _rule(targets.check_user), WithJsonSchema({
    "type": ["string", "null"], "minLength": 1, "maxLength": 128,
    "description": "Only this user's requests; null for everyone."})]
TitleTemplate = Annotated[Any, _rule(_template_check("title_template")), WithJsonSchema({
    "type": ["string", "null"], "maxLength": targets.TEMPLATE_LIMITS["title_template"],
    "description": _TEMPLATE_HELP})]
BodyTemplate = Annotated[Any, _rule(_template_check("body_template")), WithJsonSchema({
    "type": ["string", "null"], "maxLength": targets.TEMPLATE_LIMITS["body_template"],
    "description": _TEMPLATE_HELP})]


def _no_null_defaults(schema: dict[str, Any]) -> None:
    """"Not given" is the default of these fields, not null (which most of them refuse)."""
    for prop in schema.get("properties", {}).values():
        if prop.get("default", ...) is None:
            del prop["default"]


class CreateTarget(Body):
    model_config = ConfigDict(json_schema_extra=_no_null_defaults)
    kind: TargetKind = "webhook"
    url: TargetUrl
    events: TargetEvents = Field(None, description="Default: every event for webhooks, request.available for Apprise.")
    enabled: TargetEnabled = True
    user: TargetUser = None
    title_template: TitleTemplate = None
    body_template: BodyTemplate = None


class UpdateTarget(Body):
    """Any of the fields; the kind cannot change (give the target's own, or leave it out)."""

    model_config = ConfigDict(json_schema_extra=_no_null_defaults)

    kind: TargetKind = None
    url: TargetUrl = None
    events: TargetEvents = None
    enabled: TargetEnabled = None
    user: TargetUser = None
    title_template: TitleTemplate = None
    body_template: BodyTemplate = None


class TargetsQuery(Query):
    limit: int = Field(50, ge=1, le=500)
    offset: int = Field(0, ge=0, le=MAX_OFFSET)


class DeliveriesQuery(Query):
    limit: int = Field(50, ge=1, le=500)
    offset: int = Field(0, ge=0, le=MAX_OFFSET)
    target_id: Optional[int] = Field(None, ge=1, le=2**31 - 1)
    # Shape here; membership is checked in the view, with its own message.
    status: Optional[Annotated[SafeText, Field(max_length=16), AfterValidator(_strip),
                               WithJsonSchema({"type": "string", "enum": ["pending", "delivered"]})]] = None
    event: Optional[Annotated[SafeText, Field(max_length=32), AfterValidator(_strip),
                              WithJsonSchema({"type": "string", "enum": list(EVENTS)})]] = None


class TargetOut(Out):
    id: int
    kind: Literal["webhook", "apprise"]
    url: str = Field(description="Credentials masked (Apprise's privacy form, a webhook URL's password as ********).")
    events: list[str]
    enabled: bool
    user: Optional[str] = None
    paused: bool
    paused_at: Optional[str] = None
    consecutive_failures: int
    last_error: Optional[str] = None
    last_success_at: Optional[str] = None
    next_attempt_at: Optional[str] = None
    pending: int
    title_template: Optional[str] = None
    body_template: Optional[str] = None
    created_at: Optional[str] = None
    updated_at: Optional[str] = None


class NewTargetOut(TargetOut):
    secret: Optional[str] = Field(None, description="Webhook targets: the whsec_ signing secret, shown this once.")


class TargetsPage(Page):
    items: list[TargetOut]


class TargetDeleted(Out):
    deleted: bool
    id: int


class DeliveryOut(Out):
    id: int
    target_id: int
    event_type: str
    webhook_id: str
    status: str
    attempts: int
    created_at: Optional[str] = None
    last_attempt_at: Optional[str] = None
    delivered_at: Optional[str] = None
    last_status_code: Optional[int] = None
    last_error: Optional[str] = None
    payload: dict[str, Any]


class DeliveriesPage(Page):
    items: list[DeliveryOut]


def _path_required(schema: dict[str, Any]) -> None:
    _no_null_defaults(schema)
    schema["required"] = ["path"]


class RefreshBody(Body):
    """Shape only: the path's rules and their 422 ``invalid_path`` are plugin.refresh.check_path's."""

    model_config = ConfigDict(json_schema_extra=_path_required)
    path: Annotated[Any, WithJsonSchema({"type": "string", "minLength": 1, "maxLength": MAX_PATH,
                                         "description": "The folder the pipeline filled, as the pipeline sees it "
                                                        "(path_mappings apply)."})] = None


class RefreshOut(Out):
    section_id: str
    path: str
    plex_path: str
    refreshing: bool
