"""One company's Business Central API: its URLs, and typed read, page, write and action verbs.

The area modules (`sales`, `purchasing`, `master`, `webhooks`, `extension`) say *what* to read or
write; this module says how: URL shapes, `Prefer: odata.maxpagesize`, `If-Match` from the
entity's ETag, and pydantic validation of every answer.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping, Sequence
from typing import Any
from uuid import UUID

from shared.bc.batch import BatchOperation, BatchResult, run_batch
from shared.bc.http import BcHttp, BcRequest
from shared.bc.models.base import BcModel
from shared.bc.odata import Query, follow_pages

STANDARD_ROUTE = "v2.0"
EXTENSION_ROUTE = "scendIntegration/warehouse/v1.0"


def service_root(base_url: str, tenant: str, environment: str, route: str = STANDARD_ROUTE) -> str:
    """`{base}/v2.0/{tenant}/{environment}/api/{route}`: BC online's environment-aware shape.

    The tenant segment is optional with S2S tokens but always valid (reference §1.1), so it is
    always sent.
    """
    return f"{str(base_url).rstrip('/')}/v2.0/{tenant}/{environment}/api/{route}"


class BcApi:
    """Typed verbs over one company of one service root (the standard API or the extension's)."""

    def __init__(self, http: BcHttp, root: str, company_id: UUID | str, *, page_size: int = 1000) -> None:
        self.http = http
        self.root = root.rstrip("/")
        self.company_id = str(company_id)
        self.page_size = page_size

    def url(self, path: str) -> str:
        """A company-scoped URL: `{root}/companies({company})/{path}`."""
        return f"{self.root}/{self.company_path(path)}"

    def company_path(self, path: str) -> str:
        """The same, relative to the service root (as `$batch` operations name it)."""
        return f"companies({self.company_id})/{path}" if path else f"companies({self.company_id})"

    def on(self, root: str) -> BcApi:
        """The same company on another service root (the companion extension's API)."""
        return BcApi(self.http, root, self.company_id, page_size=self.page_size)

    async def get[M: BcModel](self, model: type[M], url: str, query: Query | None = None) -> M:
        response = await self.http.send(BcRequest("GET", (query or Query()).url(url)))
        return model.model_validate(response.json())

    async def iterate[M: BcModel](
        self, model: type[M], url: str, query: Query | None = None
    ) -> AsyncIterator[M]:
        """Every entity the query matches, page by page (server-driven, `@odata.nextLink`)."""
        prefer = {"Prefer": f"odata.maxpagesize={self.page_size}"}

        async def fetch(page_url: str) -> Mapping[str, Any]:
            response = await self.http.send(BcRequest("GET", page_url, headers=prefer))
            body: Mapping[str, Any] = response.json()
            return body

        async for page in follow_pages(fetch, (query or Query()).url(url)):
            for row in page:
                yield model.model_validate(row)

    async def collect[M: BcModel](self, model: type[M], url: str, query: Query | None = None) -> list[M]:
        return [entity async for entity in self.iterate(model, url, query)]

    async def create[M: BcModel](
        self,
        model: type[M],
        url: str,
        body: Mapping[str, Any],
        *,
        repeatable: bool = False,
        business_key: str | None = None,
    ) -> M:
        """POST; once-only unless `repeatable` (an in-doubt create raises `InDoubt`)."""
        request = BcRequest("POST", url, body=dict(body), repeatable=repeatable, business_key=business_key)
        response = await self.http.send(request)
        return model.model_validate(response.json())

    async def update[M: BcModel](
        self,
        model: type[M],
        url: str,
        etag: str | None,
        changes: Mapping[str, Any],
        *,
        business_key: str | None = None,
    ) -> M:
        """PATCH with `If-Match` = the ETag read with the entity; a stale one is a `ConcurrencyConflict`."""
        request = BcRequest(
            "PATCH", url, body=dict(changes), headers={"If-Match": _etag(etag)}, business_key=business_key
        )
        response = await self.http.send(request)
        return model.model_validate(response.json())

    async def delete(self, url: str, etag: str | None, *, business_key: str | None = None) -> None:
        request = BcRequest("DELETE", url, headers={"If-Match": _etag(etag)}, business_key=business_key)
        await self.http.send(request)

    async def action(
        self,
        url: str,
        name: str,
        body: Mapping[str, Any] | None = None,
        *,
        repeatable: bool = False,
        business_key: str | None = None,
    ) -> Any:
        """A bound action `POST {url}/Microsoft.NAV.{name}`; its JSON answer, or None (204)."""
        request = BcRequest(
            "POST",
            f"{url}/Microsoft.NAV.{name}",
            body=dict(body) if body is not None else None,
            repeatable=repeatable,
            business_key=business_key,
        )
        response = await self.http.send(request)
        return response.json() if response.content else None

    async def batch(
        self, operations: Sequence[BatchOperation], *, atomic: bool = False, repeatable: bool | None = None
    ) -> list[BatchResult]:
        return await run_batch(self.http, self.root, operations, atomic=atomic, repeatable=repeatable)


def _etag(etag: str | None) -> str:
    if not etag:
        # BC would answer 400 BadRequest_InvalidToken; `*` would silently overwrite someone's change.
        raise ValueError("an update needs the ETag read with the entity")
    return etag
