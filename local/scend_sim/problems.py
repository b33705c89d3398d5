"""The simulator's errors as `application/problem+json` (contract §3.4): one exception, one renderer."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

PROBLEM_MEDIA_TYPE = "application/problem+json"
TYPE_BASE = "https://scend.example/errors/"

TITLES: Mapping[str, str] = {
    "VALIDATION_FAILED": "Validation failed",
    "SKU_NOT_FOUND": "SKU not found",
    "INVALID_ADDRESS": "Invalid address",
    "UNKNOWN_SERVICE_CODE": "Unknown service code",
    "UNAUTHORIZED": "Unauthorized",
    "FORBIDDEN": "Forbidden",
    "NOT_FOUND": "Not found",
    "METHOD_NOT_ALLOWED": "Method not allowed",
    "DUPLICATE_REFERENCE": "Duplicate reference",
    "ORDER_NOT_CANCELLABLE": "Order not cancellable",
    "ASN_NOT_CANCELLABLE": "ASN not cancellable",
    "IDEMPOTENCY_KEY_REUSED": "Idempotency key reused",
    "INVALID_STATE": "Invalid state",
    "INSUFFICIENT_STOCK": "Insufficient stock",
    "PAYLOAD_TOO_LARGE": "Payload too large",
    "RATE_LIMITED": "Too many requests",
    "INTERNAL": "Internal error",
    "UNAVAILABLE": "Service unavailable",
}


class FieldError(BaseModel):
    """One field that failed, by its path in the request (`lines[1].sku`)."""

    model_config = ConfigDict(extra="forbid", json_schema_serialization_defaults_required=True)

    field: str
    code: str
    message: str


class ProblemBody(BaseModel):
    """The error body of every non-2xx answer; 409s add `existing_id` or `current_status`."""

    model_config = ConfigDict(extra="forbid")

    type: str
    title: str
    status: int
    code: str
    detail: str
    errors: list[FieldError] = Field(default_factory=list)
    request_id: str
    existing_id: str | None = Field(default=None, description="409 DUPLICATE_REFERENCE: the record held")
    current_status: str | None = Field(default=None, description="409 *_NOT_CANCELLABLE: status now")


class Problem(Exception):
    """Raised anywhere below the HTTP layer; rendered once as problem+json with the request id."""

    def __init__(
        self,
        status: int,
        code: str,
        detail: str,
        *,
        errors: Sequence[FieldError] = (),
        existing_id: str | None = None,
        current_status: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(f"{status} {code}: {detail}")
        self.status = status
        self.code = code
        self.detail = detail
        self.errors = list(errors)
        self.existing_id = existing_id
        self.current_status = current_status
        self.headers = dict(headers or {})

    def body(self, request_id: str) -> ProblemBody:
        extra: dict[str, Any] = {}
        if self.existing_id is not None:
            extra["existing_id"] = self.existing_id
        if self.current_status is not None:
            extra["current_status"] = self.current_status
        return ProblemBody(
            type=TYPE_BASE + self.code.lower().replace("_", "-"),
            title=TITLES.get(self.code, self.code.replace("_", " ").capitalize()),
            status=self.status,
            code=self.code,
            detail=self.detail,
            errors=self.errors,
            request_id=request_id,
            **extra,
        )

    def render(self, request_id: str) -> bytes:
        return self.body(request_id).model_dump_json(exclude_none=True).encode()


def not_found(what: str, key: str) -> Problem:
    return Problem(404, "NOT_FOUND", f"no {what} {key!r}")


def field_error(field: str, code: str, message: str) -> FieldError:
    return FieldError(field=field, code=code, message=message)


def validation_problem(error: ValidationError, *, status: int = 422, prefix: str = "") -> Problem:
    """A pydantic error as VALIDATION_FAILED, each failure at its path (`lines[0].quantity`)."""
    errors = []
    for item in error.errors(include_url=False, include_input=False):
        errors.append(field_error(prefix + _path(item["loc"]) or "body", item["type"].upper(), item["msg"]))
    malformed = any(item["type"] == "json_invalid" for item in error.errors(include_url=False))
    if malformed:
        return Problem(400, "VALIDATION_FAILED", "the body is not valid JSON", errors=errors)
    return Problem(status, "VALIDATION_FAILED", "the request does not match the schema", errors=errors)


def _path(loc: Sequence[int | str]) -> str:
    text = ""
    for part in loc:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else str(part)
    return text
