"""BC's error replies: `{"error": {"code", "message"}}` with BC's codes (reference §6, L-ERR)."""

from __future__ import annotations

import uuid
from typing import Any


class BcError(Exception):
    """Raised anywhere in request handling; becomes BC's error body with `status`."""

    def __init__(self, status: int, code: str, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers or {}

    def body(self) -> dict[str, Any]:
        # BC appends the correlation id to every message, two spaces before it.
        return {"error": {"code": self.code, "message": f"{self.message}  CorrelationId:  {uuid.uuid4()}."}}


def syntax_error(detail: str) -> BcError:
    return BcError(400, "BadRequest_NotFound", f"Bad Request - Error in query syntax. {detail}".strip())


def bad_request(message: str) -> BcError:
    return BcError(400, "BadRequest", message)


def segment_not_found(segment: str) -> BcError:
    return BcError(404, "BadRequest_ResourceNotFound", f"Resource not found for the segment '{segment}'.")


def record_not_found(entity: str, key: str) -> BcError:
    return BcError(
        404,
        "Internal_RecordNotFound",
        f"The {entity} does not exist. Identification fields and values: Id='{key}'",
    )


def dialog(message: str) -> BcError:
    """An AL `Error(...)` in business logic."""
    return BcError(400, "Application_DialogException", message)


def read_only(field: str) -> BcError:
    return BcError(400, "BadRequest_InvalidOperation", f"Control '{field}' is read-only.")


def method_not_allowed(method: str, target: str) -> BcError:
    return BcError(
        405,
        "BadRequest_MethodNotAllowed",
        f"'{method}' requests for '{target}' of EdmType 'Entity' are not allowed within Microsoft"
        " Dynamics 365 Business Central OData web services.",
    )


def duplicate_key(entity: str, fields: str) -> BcError:
    return BcError(
        400,
        "Internal_EntityWithSameKeyExists",
        f"The record in table {entity} already exists. Identification fields and values: {fields}",
    )


def missing_if_match() -> BcError:
    return BcError(
        400,
        "BadRequest_InvalidToken",
        "Could not validate the client concurrency token required by the service. Please provide a valid"
        " token in the client request.",
    )


def entity_changed() -> BcError:
    return BcError(409, "Request_EntityChanged", "Another user has already changed the record.")
