"""The operations API: what the operations teams (and the dashboard and the CLI) ask the integration.

Every handler takes plain values and answers an `OpsReply`; `function_app.py` maps the HTTP routes
(function-key protected) onto them and `openapi.py` describes them. Nothing here returns a payload:
an exception's parked payload may hold personal data (a delivery address), so the API says only
whether one is kept.

| Route                                              | Handler             |
|----------------------------------------------------|---------------------|
| GET  /api/ops/exceptions?status&owner&kind&type&page_size&continuation | `list_exceptions` |
| POST /api/ops/exceptions/{kind}/{type}/{key}/retry | `retry` (re-drives the document through its flow) |
| POST /api/ops/exceptions/{kind}/{type}/{key}/resolve {reason} | `resolve` |
| GET  /api/ops/orders/{number}/timeline             | `timeline`          |
| GET  /api/ops/reconciliations/latest               | `latest_reconciliation` |
| GET  /api/ops/health                               | `deep_health`       |
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from shared.bc.client import BcClient
from shared.flows.asn_export import PO_KIND
from shared.flows.item_export import ITEM_KIND
from shared.flows.order_holds import ORDER_KIND
from shared.mapping.references import parse_client_reference
from shared.messaging.envelope import Envelope, message_id_for
from shared.messaging.queues import queue_specs
from shared.messaging.transport import OutboundMessage, QueueSpec, Transport
from shared.ops.catalogue import CATALOGUE
from shared.ops.links import Page, bc_link
from shared.runtime import Runtime
from shared.scend.port import ScendPort
from shared.settings import Settings
from shared.store.crossrefs import CrossReferenceStore
from shared.store.exceptions import ExceptionStatus, ExceptionStore, SyncException
from shared.store.reconciliations import ReconciliationStore
from shared.store.timeline import OrderTimelineStore
from shared.store.watermarks import WatermarkStore

JSON = "application/json"
MAX_PAGE = 200


@dataclass(frozen=True, slots=True)
class OpsReply:
    status: int
    body: str
    content_type: str = JSON


MAX_RESOLVE_BODY_BYTES = 4096  # a reason is a sentence; nothing an operator types comes near


class ResolveRequest(BaseModel):
    """What `resolve` reads: why the exception is closed by hand (it lands in the row's resolution)."""

    model_config = ConfigDict(extra="ignore")

    reason: str = Field(default="", max_length=1000)


def _json(status: int, body: Any) -> OpsReply:
    return OpsReply(status, json.dumps(body, default=str))


@dataclass
class OpsApi:
    settings: Settings
    exceptions: ExceptionStore
    cross_references: CrossReferenceStore
    timeline_store: OrderTimelineStore
    reconciliations: ReconciliationStore
    watermarks: WatermarkStore
    transport: Transport
    queues: Sequence[QueueSpec]
    bc: BcClient
    scend: ScendPort
    clock: Callable[[], datetime]

    # --- exceptions ------------------------------------------------------------------------------------

    async def list_exceptions(self, query: Mapping[str, str]) -> OpsReply:
        try:
            page_size = min(int(query.get("page_size", "50")), MAX_PAGE)
        except ValueError:
            return _json(400, {"error": "page_size must be a number"})
        if page_size < 1:
            return _json(400, {"error": "page_size must be at least 1"})
        status = query.get("status", ExceptionStatus.OPEN.value)
        if status not in {s.value for s in ExceptionStatus} | {"all"}:
            return _json(400, {"error": "status is open, resolved or all"})
        try:
            page = await self.exceptions.list_page(
                status=None if status == "all" else status,
                owner=query.get("owner") or None,
                kind=query.get("kind") or None,
                type=query.get("type") or None,
                page_size=page_size,
                continuation=query.get("continuation") or None,
            )
        except ValueError as error:
            return _json(400, {"error": str(error)})
        rows = [await self.describe(row) for row in page.items]
        return _json(200, {"items": rows, "continuation": page.continuation})

    async def describe(self, row: SyncException) -> dict[str, Any]:
        """An exception as people read it: meaning and fix hint from the catalogue, a BC link."""
        entry = CATALOGUE.get(row.type)
        document = await self._document(row)
        return {
            "kind": row.kind,
            "type": row.type,
            "business_key": row.business_key,
            "owner": row.owner,
            "severity": row.severity,
            "meaning": entry.meaning if entry else None,
            "fix_hint": row.fix_hint,
            "detail": row.detail,
            "count": row.count,
            "first_seen": row.first_seen,
            "last_seen": row.last_seen,
            "status": row.status.value,
            "resolution": row.resolution,
            "document": document[0] if document else None,
            "bc_link": row.bc_link
            or (bc_link(self.settings, document[1], document[0]) if document else None),
            "retryable": bool(row.payload and row.queue),
        }

    async def retry(self, kind: str, exception_type: str, key: str) -> OpsReply:
        """Send the parked document back to its flow's queue; its success resolves the exception."""
        row = await self.exceptions.get(kind, exception_type, key)
        if row is None:
            return _json(404, {"error": "no such exception"})
        if row.status is not ExceptionStatus.OPEN:
            return _json(409, {"error": "the exception is resolved already"})
        if not row.payload or not row.queue or row.payload_truncated:
            return _json(
                409, {"error": "this exception holds no document to send again; fix it at its source"}
            )
        try:
            envelope = Envelope.model_validate_json(row.payload)
        except ValidationError:
            return _json(409, {"error": "the kept payload is not a message: replay it from the dead letters"})
        spec = next((q for q in self.queues if q.name == row.queue), None)
        if spec is None:
            return _json(409, {"error": f"queue {row.queue} is not one of this app's"})
        message_id = message_id_for(envelope.idempotency_key, "ops-retry", f"{self.clock():%Y%m%dT%H%M%S}")
        message = OutboundMessage(
            body=row.payload.encode(),
            message_id=message_id,
            session_id=session_of(envelope) if spec.requires_session else None,
            correlation_id=envelope.correlation_id,
            subject=envelope.kind,
        )
        await self.transport.send(spec.name, [message])
        return _json(202, {"requeued": message_id, "queue": spec.name})

    async def resolve(self, kind: str, exception_type: str, key: str, body: bytes) -> OpsReply:
        if len(body) > MAX_RESOLVE_BODY_BYTES:
            return _json(413, {"error": f"the body is at most {MAX_RESOLVE_BODY_BYTES} bytes"})
        try:
            reason = ResolveRequest.model_validate_json(body or b"{}").reason.strip()
        except ValidationError:
            return _json(400, {"error": 'the body is {"reason": "…"}'})
        if not reason:
            return _json(400, {"error": 'say why it is resolved: {"reason": "…"}'})
        row = await self.exceptions.resolve(kind, exception_type, key, f"by hand: {reason}")
        if row is None:
            return _json(404, {"error": "no such exception"})
        return _json(200, await self.describe(row))

    # --- documents -------------------------------------------------------------------------------------

    async def timeline(self, number: str) -> OpsReply:
        events = await self.timeline_store.read(number)
        if not events:
            return _json(404, {"error": f"no timeline for order {number}"})
        steps = [e.model_dump(mode="json") for e in events]
        return _json(
            200,
            {"order": number, "bc_link": bc_link(self.settings, Page.SALES_ORDER, number), "steps": steps},
        )

    async def latest_reconciliation(self) -> OpsReply:
        run = await self.reconciliations.latest()
        if run is None:
            return _json(404, {"error": "no stock reconciliation has run yet"})
        unexplained = [
            row.model_dump(mode="json")
            async for row in self.reconciliations.variances(run.run_id)
            if row.classification == "unexplained"
        ]
        return _json(200, {"run": run.model_dump(mode="json"), "unexplained": unexplained[:MAX_PAGE]})

    # --- health ----------------------------------------------------------------------------------------

    async def deep_health(self) -> OpsReply:
        """BC and Scend reachable, queue depths and dead letters, how old each watermark is."""
        checks: dict[str, Any] = {}
        healthy = True
        try:
            await self.bc.master.companies()
            checks["business_central"] = "reachable"
        except Exception as error:
            checks["business_central"] = f"unreachable: {type(error).__name__}"
            healthy = False
        try:
            await self.scend.get_product("health-check-not-a-sku")
            checks["scend"] = "reachable"
        except Exception as error:
            checks["scend"] = f"unreachable: {type(error).__name__}"
            healthy = False
        queues = {}
        for spec in self.queues:
            counts = await self.transport.counts(spec.name)
            queues[spec.name] = {
                "active": counts.active,
                "scheduled": counts.scheduled,
                "dead_letter": counts.dead_letter,
            }
        checks["queues"] = queues
        now = self.clock()
        checks["watermarks"] = {
            f"{mark.flow}/{mark.source}": {
                "last_success": mark.last_success,
                "age_minutes": round((now - mark.last_success).total_seconds() / 60, 1)
                if mark.last_success
                else None,
            }
            for mark in await self.watermarks.list_all()
        }
        open_page = await self.exceptions.list_page(status=ExceptionStatus.OPEN, page_size=MAX_PAGE)
        checks["open_exceptions"] = len(open_page.items) if open_page.continuation is None else f"{MAX_PAGE}+"
        return _json(200 if healthy else 503, {"status": "ok" if healthy else "degraded", **checks})

    # --- links -----------------------------------------------------------------------------------------

    async def _document(self, row: SyncException) -> tuple[str, Page] | None:
        key = row.business_key
        if row.kind in (ORDER_KIND, PO_KIND):
            page = Page.SALES_ORDER if row.kind == ORDER_KIND else Page.PURCHASE_ORDER
            ref = await self.cross_references.get_by_bc(row.kind, key) if _is_uuid(key) else None
            number = ref.bc_number if ref is not None else _payload(row).get("number")  # parked before a ref
            return (str(number), page) if number else None
        if row.kind == ITEM_KIND:
            ref = await self.cross_references.get_by_bc(ITEM_KIND, key) if _is_uuid(key) else None
            return (ref.bc_number if ref is not None else key, Page.ITEM)
        if row.kind == "stock":
            return (key, Page.ITEM)
        payload = _payload(row)
        if payload.get("purchase_order"):
            return (str(payload["purchase_order"]), Page.PURCHASE_ORDER)
        if payload.get("sku"):
            return (str(payload["sku"]), Page.ITEM)
        if row.kind in ("shipment", "return"):
            reference = payload.get("client_reference") or payload.get("order_reference")
            parsed = parse_client_reference(str(reference or ""))
            return (parsed.number, Page.SALES_ORDER) if parsed is not None else None
        if row.kind == "receipt" and payload.get("asn_reference"):
            return (str(payload["asn_reference"]).rsplit("-R", 1)[0], Page.PURCHASE_ORDER)
        return None


async def ops_for(runtime: Runtime) -> OpsApi:
    """The operations API over a worker's (or the CLI's) runtime."""
    stores = await runtime.stores()
    return OpsApi(
        settings=runtime.settings,
        exceptions=stores.exceptions,
        cross_references=stores.cross_references,
        timeline_store=stores.timeline,
        reconciliations=stores.reconciliations,
        watermarks=stores.watermarks,
        transport=runtime.transport(),
        queues=queue_specs(runtime.settings),
        bc=runtime.bc(),
        scend=runtime.scend(),
        clock=lambda: datetime.now(UTC),
    )


def session_of(envelope: Envelope) -> str:
    """The session a document's messages travel in: a shipment's Scend order, else the document."""
    if envelope.kind == "shipment" and isinstance(envelope.payload.get("order_id"), str):
        return str(envelope.payload["order_id"])
    return envelope.key


def _payload(row: SyncException) -> dict[str, Any]:
    """What the kept payload says about the document: a parked envelope's payload, or the
    reconciliation payload a proposal carries (`stock`, `sku`, `purchase_order`)."""
    if not row.payload:
        return {}
    try:
        return Envelope.model_validate_json(row.payload).payload
    except ValidationError:
        pass
    try:
        body = json.loads(row.payload)
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def _age(now: datetime, then: datetime | None) -> float | None:
    return round((now - then).total_seconds() / 60, 1) if then is not None else None


def _is_uuid(value: str) -> bool:
    try:
        UUID(value)
    except ValueError:
        return False
    return True
