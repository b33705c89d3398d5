"""Posting with real effects: posted shipments/receipts and invoices, line quantities, item ledger
entries and inventory, and the removal of fully invoiced orders (reference §3).

`shipAndInvoice` / `receiveAndInvoice` post what the lines' Qty. to Ship/Receive and Qty. to Invoice
say; the custom API (custom_api.py) posts given quantities without invoicing through the same
`post_sales` / `post_purchase`. PATCH of an item's `inventory` posts an adjustment without a location.
"""

from __future__ import annotations

from dataclasses import dataclass

from local.bc_sim import errors
from local.bc_sim.documents import Documents, Rules, num
from local.bc_sim.model import Posting, Row
from local.bc_sim.orders import ItemRules, LineRules, line_amounts
from local.bc_sim.schema import ALL_SETS, EMPTY_GUID, POSTED_LINE_TYPE, blank, escape_enum

# Document line types (InvoiceLineAggLineType) as posted line types (Sales Line Type).
POSTED_TYPE = dict(
    zip(
        ("Comment", "Account", "Item", "Resource", "Fixed_x0020_Asset", "Charge", "Allocation_x0020_Account"),
        POSTED_LINE_TYPE,
        strict=True,
    )
)
NOT_COPIED = frozenset({"id", "number", "status", "lastModifiedDateTime", "documentId"})
POSITIVE_ADJUSTMENT, NEGATIVE_ADJUSTMENT = escape_enum("Positive Adjmt."), escape_enum("Negative Adjmt.")
BLANK = escape_enum(" ")


@dataclass(frozen=True)
class LedgerDetail:
    """What the item ledger keeps but API v2.0 does not show (reference §2.9)."""

    location_code: str
    reason_code: str = ""
    external_document_number: str = ""


@dataclass(frozen=True)
class Posted:
    """What one posting produced: the shipment or receipt, and the invoice (None when not invoiced)."""

    document: Row | None
    invoice: Row | None


@dataclass(frozen=True)
class _Flow:
    """The two directions of a posting, by BC's field names."""

    order_set: str
    line_set: str
    done: str  # Quantity Shipped / Received
    todo: str  # Qty. to Ship / Receive
    verb: str
    verb_past: str
    doc_set: str  # the posted shipment / receipt
    doc_kind: str
    doc_series: str
    doc_start: int
    invoice_set: str
    invoice_kind: str
    invoice_series: str
    invoice_start: int
    entry_type: str
    document_type: str
    sign: int  # stock direction
    source_type: str
    party_number: str
    price_field: str
    amount_field: str  # the ledger entry's actual amount the posting fills


SALES = _Flow(
    order_set="salesOrders", line_set="salesOrderLines", done="shippedQuantity", todo="shipQuantity",
    verb="ship", verb_past="shipped", doc_set="salesShipments", doc_kind="salesShipment",
    doc_series="S-SHPT", doc_start=102001, invoice_set="salesInvoices", invoice_kind="salesInvoice",
    invoice_series="S-INV", invoice_start=103001, entry_type="Sale",
    document_type=escape_enum("Sales Shipment"), sign=-1, source_type="Customer",
    party_number="customerNumber", price_field="unitPrice", amount_field="salesAmountActual",
)  # fmt: skip
PURCHASE = _Flow(
    order_set="purchaseOrders", line_set="purchaseOrderLines", done="receivedQuantity",
    todo="receiveQuantity", verb="receive", verb_past="received", doc_set="purchaseReceipts",
    doc_kind="purchaseReceipt", doc_series="P-RCPT", doc_start=107001, invoice_set="purchaseInvoices",
    invoice_kind="purchaseInvoice", invoice_series="P-INV", invoice_start=108001, entry_type="Purchase",
    document_type=escape_enum("Purchase Receipt"), sign=1, source_type="Vendor",
    party_number="vendorNumber", price_field="directUnitCost", amount_field="costAmountActual",
)  # fmt: skip


def copy_fields(source: Row, target_set: str) -> Row:
    """The fields a posted document takes over from its source, by equal name."""
    fields = ALL_SETS[target_set].by_name
    return {k: v for k, v in source.items() if k in fields and k not in NOT_COPIED}


class Poster:
    """Posts documents into the state; every method runs inside one transaction (all-or-nothing)."""

    def __init__(self, docs: Documents) -> None:
        self.docs = docs
        self.state = docs.state

    # --- standard bound actions --------------------------------------------------------------------
    def ship_and_invoice(self, order_id: str) -> Posted:
        order = self.docs.require("salesOrders", order_id)
        to_ship, to_invoice = self._planned(SALES, order)
        return self._post(SALES, order, to_ship, to_invoice, order["externalDocumentNumber"])

    def receive_and_invoice(self, order_id: str) -> Posted:
        order = self.docs.require("purchaseOrders", order_id)
        to_receive, to_invoice = self._planned(PURCHASE, order)
        return self._post(PURCHASE, order, to_receive, to_invoice, "")

    # --- custom API: given quantities, no invoice --------------------------------------------------
    def post_sales(
        self,
        order: Row,
        quantities: dict[str, float],
        *,
        external_document_number: str,
        posting_date: str,
        tracking: dict[str, str],
        scend_id: str,
    ) -> Row:
        shipment = self._post(
            SALES,
            order,
            quantities,
            {},
            external_document_number,
            posting_date=posting_date,
            scend_id=scend_id,
        ).document
        assert shipment is not None
        self.state.set_in(self.state.shipment_tracking, shipment["id"], tracking)
        return shipment

    def post_purchase(
        self, order: Row, quantities: dict[str, float], *, posting_date: str, scend_id: str
    ) -> Row:
        receipt = self._post(
            PURCHASE, order, quantities, {}, "", posting_date=posting_date, scend_id=scend_id
        ).document
        assert receipt is not None
        return receipt

    def post_adjustment(
        self,
        item: Row,
        location_code: str,
        quantity: float,
        *,
        document_number: str,
        posting_date: str,
        reason_code: str,
        external_document_number: str,
    ) -> Row:
        entry_type = POSITIVE_ADJUSTMENT if quantity > 0 else NEGATIVE_ADJUSTMENT
        detail = LedgerDetail(location_code, reason_code, external_document_number)
        return self._ledger(item, quantity, entry_type, BLANK, document_number, posting_date, detail)

    def adjust_inventory(self, item: Row, new_total: float) -> None:
        """Item journal line for the difference: Document No. = item no., today, no location."""
        difference = new_total - self.state.stock.get(item["id"], 0)
        if difference:
            with self.state.transaction():
                self.post_adjustment(
                    item,
                    "",
                    difference,
                    document_number=item["number"],
                    posting_date=self.docs.today(),
                    reason_code="",
                    external_document_number="",
                )
                self.state.record(Posting("itemJournal", item["number"]))

    # --- the engine --------------------------------------------------------------------------------
    def _planned(self, flow: _Flow, order: Row) -> tuple[dict[str, float], dict[str, float]]:
        lines = self.state.lines(flow.line_set, order["id"])
        return (
            {line["id"]: line[flow.todo] for line in lines if line[flow.todo]},
            {line["id"]: line["invoiceQuantity"] for line in lines if line["invoiceQuantity"]},
        )

    def _post(
        self,
        flow: _Flow,
        order: Row,
        move: dict[str, float],
        invoice: dict[str, float],
        external_number: str,
        *,
        posting_date: str = "",
        scend_id: str = "",
    ) -> Posted:
        if not move and not invoice:
            raise errors.dialog("There is nothing to post.")
        posting_date = posting_date or order["postingDate"]
        lines = {line["id"]: line for line in self.state.lines(flow.line_set, order["id"])}
        for line_id, quantity in (*move.items(), *invoice.items()):
            if line_id not in lines:
                raise errors.dialog(f"Line {line_id} is not a line of order {order['number']}.")
            if quantity < 0:
                raise errors.dialog("Quantity must be positive.")
        for line_id, quantity in move.items():
            outstanding = lines[line_id]["quantity"] - lines[line_id][flow.done]
            if quantity > outstanding:
                raise errors.dialog(f"You cannot {flow.verb} more than {num(outstanding)} units.")
        with self.state.transaction():
            document = self._document(flow, order, lines, move, external_number, posting_date, scend_id)
            posted_invoice = (
                self._invoice(flow, order, lines, move, invoice, posting_date) if invoice else None
            )
            rules = self.docs.rules[flow.line_set]
            assert isinstance(rules, LineRules)
            for line_id, line in lines.items():
                changes = {
                    flow.done: num(line[flow.done] + move.get(line_id, 0)),
                    "invoicedQuantity": num(line["invoicedQuantity"] + invoice.get(line_id, 0)),
                }
                updated = {**line, **changes}
                rules.init_quantities(updated, to_do=True, invoice=True)
                self.state.update(
                    flow.line_set, line_id, {k: updated[k] for k in (*changes, flow.todo, "invoiceQuantity")}
                )
            self.docs.rules_for(flow.order_set).after_lines_changed(self.docs, order)
            if invoice and all(line["invoicedQuantity"] >= line["quantity"] for line in lines.values()):
                # A fully invoiced order is deleted by posting (the action result points at the invoice).
                for line_id in lines:
                    self.state.delete(flow.line_set, line_id)
                self.state.delete(flow.order_set, order["id"])
        return Posted(document, posted_invoice)

    def _document(
        self,
        flow: _Flow,
        order: Row,
        lines: dict[str, Row],
        move: dict[str, float],
        external_number: str,
        posting_date: str,
        scend_id: str,
    ) -> Row | None:
        if not any(move.values()):
            return None
        header = copy_fields(order, flow.doc_set)
        number = self.docs.next_number(flow.doc_series, flow.doc_series, flow.doc_start)
        header.update(
            number=number,
            orderNumber=order["number"],
            postingDate=posting_date,
            invoiceDate=posting_date,
            dueDate=posting_date,
        )
        if "externalDocumentNumber" in header:
            header["externalDocumentNumber"] = external_number
        if flow is SALES:
            method = self.state.get("shipmentMethods", order["shipmentMethodId"])
            header["shipmentMethodCode"] = method["code"] if method else ""
        document = self._insert(flow.doc_set, header)
        for line_id, quantity in move.items():
            if not quantity:
                continue
            line = lines[line_id]
            posted = copy_fields(line, flow.doc_set[:-1] + "Lines")
            posted.update(
                documentId=document["id"], quantity=num(quantity), lineType=POSTED_TYPE[line["lineType"]]
            )
            if flow is SALES:
                posted.update(documentNo=number, shipmentDate=posting_date)
            else:
                posted["unitCost"] = line["directUnitCost"]
            self._insert(flow.doc_set[:-1] + "Lines", posted)
            if line["lineType"] == "Item":
                self._move_stock(flow, order, line, quantity, number, posting_date, external_number)
        self.state.record(Posting(flow.doc_kind, number, order["number"], scend_id))
        return document

    def _invoice(
        self,
        flow: _Flow,
        order: Row,
        lines: dict[str, Row],
        moved: dict[str, float],
        invoice: dict[str, float],
        posting_date: str,
    ) -> Row:
        for line_id, quantity in invoice.items():
            line = lines[line_id]
            if quantity > line[flow.done] + moved.get(line_id, 0) - line["invoicedQuantity"]:
                raise errors.dialog(f"You cannot invoice more than you have {flow.verb_past}.")
        header = copy_fields(order, flow.invoice_set)
        number = self.docs.next_number(flow.invoice_series, flow.invoice_series, flow.invoice_start)
        header.update(
            number=number,
            orderId=order["id"],
            orderNumber=order["number"],
            postingDate=posting_date,
            invoiceDate=posting_date,
            dueDate=posting_date,
            status="Open",
        )
        document = self._insert(flow.invoice_set, header)
        line_set = flow.invoice_set[:-1] + "Lines"
        net = tax = 0.0
        for line_id, quantity in invoice.items():
            posted = copy_fields(lines[line_id], line_set)
            posted.update(documentId=document["id"], quantity=num(quantity))
            line_amounts(posted, flow.price_field)
            net, tax = net + posted["amountExcludingTax"], tax + posted["totalTaxAmount"]
            self._insert(line_set, posted)
        totals = {
            "totalAmountExcludingTax": num(net, 2),
            "totalTaxAmount": num(tax, 2),
            "totalAmountIncludingTax": num(net + tax, 2),
        }
        if flow is SALES:
            totals["remainingAmount"] = totals["totalAmountIncludingTax"]
        self.state.update(flow.invoice_set, document["id"], totals)
        self.state.record(Posting(flow.invoice_kind, number, order["number"]))
        return document

    def _move_stock(
        self,
        flow: _Flow,
        order: Row,
        line: Row,
        quantity: float,
        document_number: str,
        posting_date: str,
        external_number: str,
    ) -> None:
        item = self.docs.require("items", line["itemId"])
        location = (
            self.state.get("locations", line["locationId"]) if line["locationId"] != EMPTY_GUID else None
        )
        detail = LedgerDetail(location["code"] if location else "", "", external_number)
        entry = self._ledger(
            item,
            flow.sign * quantity,
            flow.entry_type,
            flow.document_type,
            document_number,
            posting_date,
            detail,
        )
        entry.update(sourceType=flow.source_type, sourceNumber=order[flow.party_number])
        entry[flow.amount_field] = num(quantity * line[flow.price_field], 2)

    def _ledger(
        self,
        item: Row,
        quantity: float,
        entry_type: str,
        document_type: str,
        document_number: str,
        posting_date: str,
        detail: LedgerDetail,
    ) -> Row:
        """Insert an item ledger entry and move the stock it records (in total and at its location).
        The caller may complete the returned entry's source and amounts in the same transaction."""
        entry = self._insert(
            "itemLedgerEntries",
            {
                "entryNumber": self.state.next_counter("itemLedgerEntry", 1),
                "itemNumber": item["number"],
                "postingDate": posting_date,
                "entryType": entry_type,
                "documentNumber": document_number,
                "documentType": document_type,
                "description": item["displayName"],
                "quantity": num(quantity),
                "costAmountActual": num(quantity * item["unitCost"], 2),
                "sourceType": BLANK,
            },
        )
        self.state.set_in(self.state.ledger_details, entry["id"], detail)
        total = self.state.stock.get(item["id"], 0) + quantity
        self.state.set_in(self.state.stock, item["id"], total)
        at = (item["id"], detail.location_code)
        self.state.set_in(self.state.stock_at, at, self.state.stock_at.get(at, 0) + quantity)
        self.state.update("items", item["id"], {"inventory": num(total)}, touch=False)
        return entry

    def _insert(self, entity_set: str, values: Row) -> Row:
        es = ALL_SETS[entity_set]
        row = {f.name: values.get(f.name, blank(f)) for f in es.fields}
        row["id"] = self.docs.new_id()
        return self.state.insert(entity_set, row)


class InventoryPatchRules(ItemRules):
    """Items: PATCH of `inventory` posts an adjustment (no new ETag: Inventory is a FlowField)."""

    def on_modify(self, docs: Documents, row: Row, changes: Row) -> Row:
        if "inventory" in changes:
            Poster(docs).adjust_inventory(row, float(changes.pop("inventory")))
        return changes


def install(docs: Documents) -> None:
    base = docs.rules["items"]
    assert isinstance(base, ItemRules)
    rules: Rules = InventoryPatchRules(base.key_field, base.series, base.start)
    docs.rules["items"] = rules
