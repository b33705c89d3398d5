"""Deep links into the Business Central web client, so an exception opens the document it is about.

`https://businesscentral.dynamics.com/<tenant>/<environment>/?company=<id>&page=<page>&filter=...`
opens a card or list page filtered to one record (Microsoft Learn: "Web client URL parameters":
`page`, `company`, `filter` with `'Field' IS 'value'`). Pages: 42 Sales Order, 50 Purchase Order,
30 Item Card, 44 Sales Credit Memo; the standard list pages would do as well.
"""

from __future__ import annotations

from enum import IntEnum
from urllib.parse import quote, urlencode

from shared.settings import Settings


class Page(IntEnum):
    ITEM = 30
    SALES_ORDER = 42
    SALES_CREDIT_MEMO = 44
    PURCHASE_ORDER = 50


def bc_link(settings: Settings, page: Page, number: str) -> str:
    """The web client URL that opens document `number` on `page`."""
    base = str(settings.bc_web_client_url).rstrip("/")
    where = f"{base}/{quote(settings.bc_tenant_id)}/{quote(settings.bc_environment)}/"
    query = urlencode(
        {"company": settings.bc_company_id, "page": int(page), "filter": f"'No.' IS '{number}'"}
    )
    return f"{where}?{query}"
