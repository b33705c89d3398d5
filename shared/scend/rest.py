"""ContractRestAdapter: ScendPort over the REST contract (reference §3), one method per resource.

Each method builds its `Call` (route template, path, body, derived `Idempotency-Key`, document key)
and hands it to `CallRunner`: reads and PUTs are simply repeated, POSTs go through in-doubt
resolution (`calls.py` tells the race it prevents).
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from datetime import UTC, datetime
from types import TracebackType
from typing import TYPE_CHECKING, Any, Self
from urllib.parse import quote

import httpx
from pydantic import BaseModel, ValidationError

from shared.errors import InvalidMessage
from shared.ratelimit import Monotonic, Sleep, SlidingWindowBudget
from shared.retry import Backoff
from shared.scend.calls import SCEND_BACKOFF, CallRunner, expect, field_places, parse, parse_list
from shared.scend.http import ApiKeySource, Call, ScendHttp, StaticApiKey
from shared.scend.http import idempotency_key as derive_key
from shared.scend.models import (
    Asn,
    AsnRequest,
    Cancellation,
    CancelLine,
    FeedPage,
    Order,
    OrderRequest,
    Product,
    Receipt,
    Return,
    Shipment,
    StockAdjustment,
    StockChange,
    StockLevel,
    WebhookEvent,
    wire_body,
)
from shared.scend.outcomes import Action, Answer, OrderNotCancellable, Resource, UnexpectedResponse
from shared.scend.port import ScendPort
from shared.scend.signatures import verify
from shared.settings import Settings

CANCELLED = "cancelled"
MINUTE_SECONDS = 60.0  # SCEND_REQUESTS_PER_MINUTE counts over any 60 s


class ContractRestAdapter:
    """ScendPort for the contract's REST API (httpx, async). Use as `async with` or call `aclose()`."""

    def __init__(
        self,
        base_url: str,
        api_key: str | ApiKeySource,
        webhook_secrets: Sequence[str],
        *,
        requests_per_minute: int = 120,
        timeout_seconds: float = 20.0,
        page_size: int = 100,
        snapshot_page_size: int = 500,
        backoff: Backoff | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        sleep: Sleep = asyncio.sleep,
        monotonic: Monotonic = time.monotonic,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        rng: random.Random | None = None,
    ) -> None:
        self._client = httpx.AsyncClient(
            base_url=base_url.rstrip("/"), timeout=timeout_seconds, transport=transport
        )
        keys = StaticApiKey(api_key) if isinstance(api_key, str) else api_key
        # A wait longer than the backoff's inline limit (a long Retry-After pause Scend asked for, a
        # spent minute) is handed back to the trigger shell as RateLimited instead of slept through.
        budget = SlidingWindowBudget(
            requests_per_minute,
            MINUTE_SECONDS,
            max_wait=(backoff or SCEND_BACKOFF).max_wait_seconds,
            name="Scend request budget",
            clock=monotonic,
            sleep=sleep,
        )
        http = ScendHttp(self._client, keys, budget, clock)
        jitter = rng or random.Random()  # noqa: S311 - backoff jitter, not a secret
        self._calls = CallRunner(http, backoff or SCEND_BACKOFF, sleep, jitter)
        self._secrets = list(webhook_secrets)
        self._page_size = page_size
        self._snapshot_page_size = snapshot_page_size  # the contract's largest page: 40 reads per 20,000 SKUs
        self._clock = clock

    @classmethod
    def from_settings(cls, settings: Settings, **options: Any) -> ContractRestAdapter:
        return cls(
            str(settings.scend_base_url),
            settings.scend_api_key.get_secret_value(),
            settings.webhook_secrets,
            requests_per_minute=settings.scend_requests_per_minute,
            timeout_seconds=settings.scend_timeout_seconds,
            **options,
        )

    async def aclose(self) -> None:
        await self._client.aclose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()

    # Items

    async def upsert_product(self, product: Product) -> Product:
        path = f"/products/{quote(product.sku, safe='')}"
        body = wire_body(product)
        call = Call("PUT", "/products/{sku}", path, body=body, doc_key=product.sku)
        return parse(Product, expect(await self._calls.repeatable(call), Resource.PRODUCT, call), call)

    async def get_product(self, sku: str) -> Product | None:
        call = Call("GET", "/products/{sku}", f"/products/{quote(sku, safe='')}", doc_key=sku)
        answer = await self._calls.repeatable(call)
        if answer.rule.action is Action.NOT_FOUND:
            return None
        return parse(Product, expect(answer, Resource.READ, call), call)

    # Orders

    async def create_order(self, order: OrderRequest) -> Order:
        return await self._create("/orders", Resource.ORDER, Order, order)

    async def get_order_by_reference(self, client_reference: str) -> Order | None:
        return await self._find_by_reference("/orders", Order, client_reference)

    async def cancel_order(
        self, order_id: str, lines: Sequence[CancelLine] = (), *, version: str = ""
    ) -> Cancellation:
        """Cancel the whole order, or `lines` of it; `version` (the BC document version the cancel
        comes from) keeps two different partial cancels apart while a retry of one stays the same."""
        parts = [
            f"{line.line_ref}={line.quantity or 'all'}" for line in sorted(lines, key=lambda x: x.line_ref)
        ]
        body = {"lines": [wire_body(line) for line in lines]} if lines else {}
        call = Call(
            "POST",
            "/orders/{id}/cancel",
            f"/orders/{quote(order_id, safe='')}/cancel",
            body=body,
            idempotency_key=derive_key("POST /orders/{id}/cancel", order_id, version, *parts),
            doc_key=order_id,
        )

        async def on_success(answer: Answer) -> Cancellation:
            status = answer.body.get("status") if isinstance(answer.body, dict) else None
            if not isinstance(status, str):
                raise UnexpectedResponse(f"{call.operation} answered without a status")
            return Cancellation(order_id=order_id, status=status)

        async def cancelled_already() -> Cancellation | None:
            order = await self._get_order(order_id)
            if order is None or lines:
                return None  # a partial cancel cannot be told from the order: resend, same key
            nothing_open = all(x.qty_ordered <= x.qty_despatched + x.qty_cancelled for x in order.lines)
            return Cancellation(order_id=order_id, status=order.status) if nothing_open else None

        try:
            return await self._calls.write(
                call, Resource.CANCEL, on_success=on_success, lookup=cancelled_already
            )
        except OrderNotCancellable as refused:
            if refused.current_status == CANCELLED and not lines:
                return Cancellation(order_id=order_id, status=CANCELLED)
            raise

    async def _create[T: BaseModel](
        self, route: str, resource: Resource, model: type[T], request: AsnRequest | OrderRequest
    ) -> T:
        """POST a document identified by its client_reference: one record per reference whatever
        happens to the answer (duplicate reference, in-doubt timeout: see `CallRunner.write`)."""
        ref = request.client_reference
        call = Call(
            "POST",
            route,
            route,
            body=wire_body(request),
            idempotency_key=derive_key(f"POST {route}", ref),
            doc_key=ref,
        )

        async def on_success(answer: Answer) -> T:
            return parse(model, answer.body, call)

        return await self._calls.write(
            call,
            resource,
            on_success=on_success,
            lookup=lambda: self._find_by_reference(route, model, ref),
            fetch=lambda record_id: self._get_by_id(route + "/{id}", model, record_id),
        )

    async def _get_order(self, order_id: str) -> Order | None:
        return await self._get_by_id("/orders/{id}", Order, order_id)

    # Inbound

    async def create_asn(self, asn: AsnRequest) -> Asn:
        return await self._create("/asns", Resource.ASN, Asn, asn)

    async def get_asn_by_reference(self, client_reference: str) -> Asn | None:
        return await self._find_by_reference("/asns", Asn, client_reference)

    async def cancel_asn(self, asn_id: str) -> Asn:
        """Cancel an ASN while Scend allows it (`created`, `awaiting_delivery`); once goods have
        arrived it raises `OrderNotCancellable` with `ASN_NOT_CANCELLABLE`. Cancelling a cancelled
        ASN answers it as it is."""
        call = Call(
            "POST",
            "/asns/{id}/cancel",
            f"/asns/{quote(asn_id, safe='')}/cancel",
            body={},
            idempotency_key=derive_key("POST /asns/{id}/cancel", asn_id),
            doc_key=asn_id,
        )

        async def on_success(answer: Answer) -> Asn:
            return parse(Asn, answer.body, call)

        async def cancelled_already() -> Asn | None:
            found = await self._get_asn(asn_id)
            return found if found is not None and found.status == CANCELLED else None

        return await self._calls.write(call, Resource.CANCEL, on_success=on_success, lookup=cancelled_already)

    async def _get_asn(self, asn_id: str) -> Asn | None:
        return await self._get_by_id("/asns/{id}", Asn, asn_id)

    # Stock

    async def get_stock_snapshot(self) -> list[StockLevel]:
        """Every SKU's levels, all pages of `GET /stock` (a plain list, not a feed: no resume)."""
        return [level async for page in self.iter_stock_levels() for level in page]

    async def iter_stock_levels(self) -> AsyncIterator[list[StockLevel]]:
        """`GET /stock` a page at a time, in SKU order: memory stays flat however big the catalogue."""
        cursor: str | None = None
        while True:
            params = {"limit": str(self._snapshot_page_size)} | ({"cursor": cursor} if cursor else {})
            call = Call("GET", "/stock", "/stock", params=params)
            body = expect(await self._calls.repeatable(call), Resource.READ, call)
            yield parse_list(StockLevel, body, call)
            next_cursor = body.get("next_cursor")
            if not next_cursor or next_cursor == cursor:
                return
            cursor = str(next_cursor)

    # Feeds

    def iter_shipments(self, cursor: str | None = None) -> AsyncIterator[FeedPage[Shipment]]:
        return self._feed("/shipments", Shipment, cursor)

    def iter_stock_changes(self, cursor: str | None = None) -> AsyncIterator[FeedPage[StockChange]]:
        return self._feed("/stock/changes", StockChange, cursor)

    def iter_adjustments(self, cursor: str | None = None) -> AsyncIterator[FeedPage[StockAdjustment]]:
        return self._feed("/stock-adjustments", StockAdjustment, cursor)

    def iter_receipts(self, cursor: str | None = None) -> AsyncIterator[FeedPage[Receipt]]:
        return self._feed("/receipts", Receipt, cursor)

    def iter_returns(self, cursor: str | None = None) -> AsyncIterator[FeedPage[Return]]:
        return self._feed("/returns", Return, cursor)

    async def _feed[T: BaseModel](
        self, route: str, model: type[T], cursor: str | None
    ) -> AsyncIterator[FeedPage[T]]:
        """Pages from `cursor` to the head; the last page (possibly empty) carries the resume point."""
        while True:
            params = {"limit": str(self._page_size)} | ({"since_cursor": cursor} if cursor else {})
            call = Call("GET", route, route, params=params)
            body = expect(await self._calls.repeatable(call), Resource.READ, call)
            records = parse_list(model, body, call)
            next_cursor, has_more = body.get("next_cursor"), body.get("has_more")
            if not isinstance(next_cursor, str) or not next_cursor or not isinstance(has_more, bool):
                raise UnexpectedResponse(f"{call.operation} answered a page without next_cursor/has_more")
            yield FeedPage[T](records=records, next_cursor=next_cursor, has_more=has_more)
            if not has_more or (next_cursor == cursor and not records):
                return
            cursor = next_cursor

    # Webhooks

    def verify_webhook(self, headers: Mapping[str, str], raw_body: bytes) -> WebhookEvent:
        verify(headers, raw_body, self._secrets, self._clock())
        try:
            return WebhookEvent.model_validate_json(raw_body)
        except ValidationError as error:
            raise InvalidMessage(f"signed webhook is not a Scend event: {field_places(error)}") from None

    # The machinery: lookups, repeatable calls, writes

    async def _find_by_reference[T: BaseModel](
        self, route: str, model: type[T], client_reference: str
    ) -> T | None:
        call = Call(
            "GET", route, route, params={"client_reference": client_reference}, doc_key=client_reference
        )
        answer = await self._calls.repeatable(call)
        if answer.rule.action is Action.NOT_FOUND:
            return None
        body = expect(answer, Resource.READ, call)
        matches = [
            r
            for r in parse_list(model, body, call)
            if getattr(r, "client_reference", None) == client_reference
        ]
        return matches[0] if matches else None

    async def _get_by_id[T: BaseModel](self, route: str, model: type[T], record_id: str) -> T | None:
        path = route.replace("{id}", quote(record_id, safe=""))
        call = Call("GET", route, path, doc_key=record_id)
        answer = await self._calls.repeatable(call)
        if answer.rule.action is Action.NOT_FOUND:
            return None
        return parse(model, expect(answer, Resource.READ, call), call)


if TYPE_CHECKING:

    def _implements_the_port(adapter: ContractRestAdapter) -> ScendPort:
        return adapter  # mypy proves every method matches the port's signature
