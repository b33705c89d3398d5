"""The companion extension's custom API (docs/bc-extension-api.md): shipment confirmations, stock
adjustments and receipt confirmations, each created with its lines and posted by `Microsoft.NAV.post`.

Both steps are idempotent on the Scend id. The race they close: (1) the client posts shipment
SHP-1, (2) BC commits but the reply is lost, (3) the client retries. A second create with SHP-1
answers the existing confirmation, and `post` on a posted one answers it again without posting, so
SHP-1 yields exactly one posted shipment however often (1)-(3) repeat.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from local.bc_sim import errors
from local.bc_sim.documents import Documents, Rules
from local.bc_sim.errors import BcError
from local.bc_sim.model import Posting, Row
from local.bc_sim.posting import Poster
from local.bc_sim.schema import BLANK_DATE

OPEN, POSTED = "Open", "Posted"


@dataclass(frozen=True)
class ConfirmationRules(Rules):
    """A confirmation header: unique on its Scend id, editable until posted."""

    entity_set: str
    scend_field: str
    order_set: str | None  # salesOrders / purchaseOrders (None: adjustments)
    order_field: str  # salesOrderId / purchaseOrderId
    order_number_field: str
    date_field: str

    def existing(self, docs: Documents, values: Row) -> Row | None:
        scend_id = values.get(self.scend_field)
        return docs.state.find(self.entity_set, self.scend_field, scend_id) if scend_id else None

    def on_insert(self, docs: Documents, row: Row, parent: Row | None) -> None:
        if self.order_set is not None:
            order = docs.reference(self.order_set, row[self.order_field], "number", "", self.order_set[:-1])
            row[self.order_number_field] = order["number"]
        if row[self.date_field] == BLANK_DATE:
            row[self.date_field] = docs.today()
        row["status"] = OPEN

    def on_modify(self, docs: Documents, row: Row, changes: Row) -> Row:
        _require_open(row)
        return changes

    def on_delete(self, docs: Documents, row: Row) -> None:
        _require_open(row)


@dataclass(frozen=True)
class ConfirmationLineRules(Rules):
    """A confirmation line: what it points at must exist, the quantity must be meaningful."""

    header_set: str
    source_field: str  # salesOrderLineId / purchaseOrderLineId / itemId
    source_set: str  # salesOrderLines / purchaseOrderLines / items
    header_order_field: str  # the header's order id the source line must belong to ("" for items)

    def on_insert(self, docs: Documents, row: Row, parent: Row | None) -> None:
        assert parent is not None
        _require_open(parent)
        source = docs.state.get(self.source_set, row[self.source_field])
        if source is None or (
            self.header_order_field and source["documentId"] != parent[self.header_order_field]
        ):
            raise errors.dialog(
                f"{self.source_field} {row[self.source_field]} is not a line of the confirmed order."
            )
        row["itemNumber"] = source.get("lineObjectNumber", source.get("number", ""))
        if "locationCode" in row and docs.state.find("locations", "code", row["locationCode"]) is None:
            raise BcError(
                400,
                "Internal_InvalidTableRelation",
                "The field Location Code of table Item Journal Line contains a value"
                f" ({row['locationCode']}) that cannot be found in the related table (Location).",
            )
        _check_quantity(row["quantity"], signed="locationCode" in row)
        siblings = docs.state.lines(docs_line_set(self.header_set), parent["id"])
        row["sequence"] = row["sequence"] or (siblings[-1]["sequence"] if siblings else 0) + 10000

    def on_modify(self, docs: Documents, row: Row, changes: Row) -> Row:
        _require_open(docs.require(self.header_set, row["documentId"]))
        if "quantity" in changes:
            _check_quantity(changes["quantity"], signed="locationCode" in row)
        return changes

    def on_delete(self, docs: Documents, row: Row) -> None:
        _require_open(docs.require(self.header_set, row["documentId"]))


def docs_line_set(header_set: str) -> str:
    return header_set[:-1] + "Lines"


def _require_open(header: Row) -> None:
    if header["status"] == POSTED:
        raise errors.dialog("The confirmation is posted and cannot be changed or deleted.")


def _check_quantity(quantity: float, *, signed: bool) -> None:
    if (signed and quantity == 0) or (not signed and quantity <= 0):
        raise errors.dialog("Quantity must not be zero." if signed else "Quantity must be greater than 0.")


def post(docs: Documents, entity_set: str, row_id: str) -> Row:
    """`Microsoft.NAV.post`: post once, then answer the posted confirmation on every later call."""
    header = docs.require(entity_set, row_id)
    if header["status"] == POSTED:
        return header
    lines = docs.state.lines(docs_line_set(entity_set), header["id"])
    if not lines:
        raise errors.dialog("There is nothing to post.")
    poster = Poster(docs)
    with docs.state.transaction():
        if entity_set == "shipmentConfirmations":
            result = _post_shipment(docs, poster, header, lines)
        elif entity_set == "receiptConfirmations":
            result = _post_receipt(docs, poster, header, lines)
        else:
            result = _post_adjustment(docs, poster, header, lines)
        docs.state.update(entity_set, header["id"], {"status": POSTED, **result})
    return header


def _quantities(lines: list[Row], source_field: str) -> dict[str, float]:
    total: dict[str, float] = defaultdict(float)
    for line in lines:
        total[line[source_field]] += line["quantity"]
    return dict(total)


def _post_shipment(docs: Documents, poster: Poster, header: Row, lines: list[Row]) -> Row:
    order = docs.reference("salesOrders", header["salesOrderId"], "number", "", "Sales Header")
    tracking = {
        name: header[name]
        for name in ("packageTrackingNumber", "shippingAgentCode", "shippingAgentServiceCode")
    }
    shipment = poster.post_sales(
        order,
        _quantities(lines, "salesOrderLineId"),
        external_document_number=header["scendShipmentId"],
        posting_date=header["shipmentDate"],
        tracking=tracking,
        scend_id=header["scendShipmentId"],
    )
    return {"salesShipmentId": shipment["id"], "salesShipmentNumber": shipment["number"]}


def _post_receipt(docs: Documents, poster: Poster, header: Row, lines: list[Row]) -> Row:
    order = docs.reference("purchaseOrders", header["purchaseOrderId"], "number", "", "Purchase Header")
    receipt = poster.post_purchase(
        order,
        _quantities(lines, "purchaseOrderLineId"),
        posting_date=header["receiptDate"],
        scend_id=header["scendReceiptId"],
    )
    return {"purchaseReceiptId": receipt["id"], "purchaseReceiptNumber": receipt["number"]}


def _post_adjustment(docs: Documents, poster: Poster, header: Row, lines: list[Row]) -> Row:
    number = docs.next_number("SC-ADJ", "SC-ADJ", 100001)
    for line in lines:
        poster.post_adjustment(
            docs.require("items", line["itemId"]),
            line["locationCode"],
            line["quantity"],
            document_number=number,
            posting_date=header["postingDate"],
            reason_code=header["reasonCode"],
            external_document_number=header["scendAdjustmentId"],
        )
    docs.state.record(Posting("stockAdjustment", number, "", header["scendAdjustmentId"]))
    return {"documentNumber": number}


def install(docs: Documents) -> None:
    docs.rules.update(
        shipmentConfirmations=ConfirmationRules(
            "shipmentConfirmations",
            "scendShipmentId",
            "salesOrders",
            "salesOrderId",
            "salesOrderNumber",
            "shipmentDate",
        ),
        shipmentConfirmationLines=ConfirmationLineRules(
            "shipmentConfirmations", "salesOrderLineId", "salesOrderLines", "salesOrderId"
        ),
        receiptConfirmations=ConfirmationRules(
            "receiptConfirmations",
            "scendReceiptId",
            "purchaseOrders",
            "purchaseOrderId",
            "purchaseOrderNumber",
            "receiptDate",
        ),
        receiptConfirmationLines=ConfirmationLineRules(
            "receiptConfirmations", "purchaseOrderLineId", "purchaseOrderLines", "purchaseOrderId"
        ),
        stockAdjustments=ConfirmationRules(
            "stockAdjustments", "scendAdjustmentId", None, "", "", "postingDate"
        ),
        stockAdjustmentLines=ConfirmationLineRules("stockAdjustments", "itemId", "items", ""),
    )
