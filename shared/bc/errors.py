"""Permanent failures of Business Central calls, and the catalogue entries they need.

Messages carry the operation (`POST salesCreditMemos`), the HTTP status and BC's error code, never
BC's message text: it can quote the payload (a customer's name, an address).
"""

from __future__ import annotations

from shared.errors import PermanentError


class BcFailure(PermanentError):
    """Business Central refused a request in a way retrying cannot change."""

    code = "BC_REQUEST_REJECTED"

    def __init__(
        self, operation: str, status: int | None, bc_code: str | None, *, business_key: str | None = None
    ) -> None:
        detail = f"{operation} → HTTP {status if status is not None else '-'} {bc_code or 'no error code'}"
        super().__init__(self.code, detail, business_key=business_key)
        self.operation = operation
        self.status = status
        self.bc_code = bc_code


class BcRequestRejected(BcFailure):
    """400/422 and other client errors: a validation rule, a blocked record, a value too long."""

    code = "BC_REQUEST_REJECTED"


class BcRecordNotFound(BcFailure):
    """404: the record (or company) the request names does not exist (any more)."""

    code = "BC_RECORD_NOT_FOUND"


class BcAccessDenied(BcFailure):
    """401 after a fresh token, or 403: the app registration cannot do this in this company."""

    code = "BC_ACCESS_DENIED"


# Proposed for `shared.ops.catalogue.CATALOGUE` (the BC client owns no catalogue of its own).
