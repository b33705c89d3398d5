"""Business rules of the writable standard entities: masters (number/code, uniqueness), sales and
purchase orders and draft credit memos (party defaults, lines, totals, quantities, release status).

Status travels as the API shows it: `Draft` is BC's Open, `Open` is BC's Released (reference §2.3).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from local.bc_sim import errors
from local.bc_sim.documents import Documents, Rules, num
from local.bc_sim.errors import BcError
from local.bc_sim.model import Row
from local.bc_sim.schema import EMPTY_GUID, escape_enum

DRAFT, RELEASED = "Draft", "Open"
ITEM_LINE, COMMENT_LINE = "Item", "Comment"
ADDRESS_PARTS = ("AddressLine1", "AddressLine2", "City", "Country", "State", "PostCode")
MASTER_ADDRESS = ("addressLine1", "addressLine2", "city", "country", "state", "postalCode")


def _is_set(value: object) -> bool:
    return value not in ("", EMPTY_GUID, None)


@dataclass(frozen=True)
class MasterRules(Rules):
    """Items, customers, vendors, locations, shipment methods: a number from a series or a required code."""

    key_field: str
    series: str | None = None  # number series prefix when the key may be left blank
    start: int = 10000

    def on_insert(self, docs: Documents, row: Row, parent: Row | None) -> None:
        if not row[self.key_field]:
            if self.series is None:
                raise BcError(
                    400,
                    "Application_FieldValidationException",
                    f"{self.key_field} must have a value. It cannot be zero or empty.",
                )
            row[self.key_field] = docs.next_number(self.series, self.series, self.start)


class ItemRules(MasterRules):
    def on_insert(self, docs: Documents, row: Row, parent: Row | None) -> None:
        if row["inventory"] != 0:
            raise errors.dialog("Inventory cannot be set when an item is created.")
        super().on_insert(docs, row, parent)
        row["baseUnitOfMeasureCode"] = row["baseUnitOfMeasureCode"] or "PCS"


@dataclass(frozen=True)
class Party:
    """Who a document is with (customers for sales, vendors for purchases) and its field names."""

    entity_set: str
    label: str
    id_field: str
    number_field: str
    name_field: str
    bill_fields: tuple[str, str, str]  # id, number, name of the bill-to / pay-to party
    address_prefixes: tuple[str, ...]  # address groups copied from the party
    ship_to_from_party: bool  # sales: ship-to defaults to the customer's address


SALES = Party(
    "customers", "customer", "customerId", "customerNumber", "customerName",
    ("billToCustomerId", "billToCustomerNumber", "billToName"), ("sellTo", "billTo"), True,
)  # fmt: skip
RETURNS = replace(SALES, ship_to_from_party=False)  # credit memos have no ship-to
PURCHASE = Party(
    "vendors", "vendor", "vendorId", "vendorNumber", "vendorName",
    ("payToVendorId", "payToVendorNumber", "payToName"), ("buyFrom", "payTo"), False,
)  # fmt: skip


@dataclass(frozen=True)
class DocumentRules(Rules):
    """A sales order, purchase order or draft credit memo header."""

    entity_set: str
    party: Party
    lines: str
    series: str
    start: int
    date_field: str
    price_field: str  # unitPrice / directUnitCost

    def on_insert(self, docs: Documents, row: Row, parent: Row | None) -> None:
        p = self.party
        if not _is_set(row[p.id_field]) and not row[p.number_field]:
            raise errors.dialog(f"A {p.number_field} or a {p.id_field} must be provided.")
        self._apply_party(docs, row)
        row["number"] = docs.next_number(self.series, self.series, self.start)
        row[self.date_field] = row[self.date_field] if row[self.date_field] != "0001-01-01" else docs.today()
        row["postingDate"] = row["postingDate"] if row["postingDate"] != "0001-01-01" else docs.today()
        row["status"] = DRAFT
        if "invoiceId" in row and _is_set(row["invoiceId"]):
            invoice = docs.reference("salesInvoices", row["invoiceId"], "number", "", "Sales Invoice Header")
            row["invoiceNumber"] = invoice["number"]
        elif row.get("invoiceNumber"):
            invoice = docs.reference(
                "salesInvoices", "", "number", row["invoiceNumber"], "Sales Invoice Header"
            )
            row["invoiceId"] = invoice["id"]
        if "customerReturnReasonId" in row and _is_set(row["customerReturnReasonId"]):
            docs.reference("customerReturnReasons", row["customerReturnReasonId"], "code", "", "Reason Code")

    def on_modify(self, docs: Documents, row: Row, changes: Row) -> Row:
        p = self.party
        if p.id_field in changes or p.number_field in changes:
            self._require_draft(row)
            merged = {**row, **changes}
            if p.number_field in changes and p.id_field not in changes:
                merged[p.id_field] = EMPTY_GUID
            self._apply_party(docs, merged)
            changes = {k: v for k, v in merged.items() if row.get(k) != v}
        return changes

    def on_delete(self, docs: Documents, row: Row) -> None:
        for line in docs.state.lines(self.lines, row["id"]):
            done = line.get("shippedQuantity", line.get("receivedQuantity", 0))
            if done != line.get("invoicedQuantity", 0):
                raise errors.dialog(
                    f"You cannot delete {row['number']} because it has lines that are shipped or received"
                    " and not invoiced."
                )

    def after_lines_changed(self, docs: Documents, header: Row) -> None:
        """The API buffer is rewritten on every line change: totals, flags and lastModifiedDateTime."""
        lines = docs.state.lines(self.lines, header["id"])
        net = sum(line["amountExcludingTax"] for line in lines)
        tax = sum(line["totalTaxAmount"] for line in lines)
        changes: Row = {
            "totalAmountExcludingTax": num(net, 2),
            "totalTaxAmount": num(tax, 2),
            "totalAmountIncludingTax": num(net + tax, 2),
        }
        items = [line for line in lines if line["lineType"] == ITEM_LINE]
        if "fullyShipped" in header:
            changes["fullyShipped"] = bool(items) and all(
                i["shippedQuantity"] >= i["quantity"] for i in items
            )
        if "fullyReceived" in header:
            changes["fullyReceived"] = bool(items) and all(
                i["receivedQuantity"] >= i["quantity"] for i in items
            )
        docs.state.update(self.entity_set, header["id"], changes)

    def _apply_party(self, docs: Documents, row: Row) -> None:
        """Take the party's number, name, addresses and defaults, as validating Sell-to/Buy-from does."""
        p = self.party
        party = docs.reference(p.entity_set, row[p.id_field], "number", row[p.number_field], p.label.title())
        if party["blocked"] == escape_enum("All"):
            raise errors.dialog(
                f"You cannot create this type of document when {p.label} {party['number']} is blocked."
            )
        row[p.id_field], row[p.number_field], row[p.name_field] = (
            party["id"],
            party["number"],
            party["displayName"],
        )
        for name, value in zip(
            p.bill_fields, (party["id"], party["number"], party["displayName"]), strict=True
        ):
            row[name] = value
        for part, master in zip(ADDRESS_PARTS, MASTER_ADDRESS, strict=True):
            for prefix in p.address_prefixes:
                row[f"{prefix}{part}"] = party[master]
            if p.ship_to_from_party and not row[f"shipTo{part}"]:
                row[f"shipTo{part}"] = party[master]
        if p.ship_to_from_party and not row["shipToName"]:
            row["shipToName"] = party["displayName"]
        for name in ("phoneNumber", "email"):
            if name in row and not row[name]:
                row[name] = party[name]
        if "shipmentMethodId" in row and not _is_set(row["shipmentMethodId"]):
            row["shipmentMethodId"] = party.get("shipmentMethodId", EMPTY_GUID)
        row["currencyCode"] = row["currencyCode"] or party["currencyCode"]

    @staticmethod
    def _require_draft(row: Row) -> None:
        if row["status"] != DRAFT:
            raise BcError(
                400,
                "Application_FieldValidationException",
                f"Status must be equal to 'Open'  in Header: No.={row['number']}."
                " Current value is 'Released'.",
            )


@dataclass(frozen=True)
class LineRules(Rules):
    """A document line: item defaults, sequence, quantities to ship/receive and invoice, amounts."""

    header: DocumentRules
    done_field: str | None  # shippedQuantity / receivedQuantity (None: credit memo lines)
    todo_field: str | None  # shipQuantity / receiveQuantity
    verb: str  # ship / receive
    tax_percent: float

    def on_insert(self, docs: Documents, row: Row, parent: Row | None) -> None:
        assert parent is not None
        if parent["status"] != DRAFT:
            self.header._require_draft(parent)
        if row["lineType"] == COMMENT_LINE and (_is_set(row["itemId"]) or row["lineObjectNumber"]):
            row["lineType"] = ITEM_LINE
        if row["lineType"] == ITEM_LINE:
            self._item_defaults(docs, row)
        if _is_set(row["locationId"]):
            docs.reference("locations", row["locationId"], "code", "", "Location")
        siblings = docs.state.lines(self.header.lines, parent["id"])
        if row["sequence"] == 0:
            row["sequence"] = (siblings[-1]["sequence"] if siblings else 0) + 10000
        elif any(s["sequence"] == row["sequence"] for s in siblings):
            raise errors.duplicate_key("Line", f"Line No.='{row['sequence']}'")
        _check_quantity(row["quantity"])
        if self.todo_field is not None:
            date_field = "shipmentDate" if "shipmentDate" in row else "expectedReceiptDate"
            if row[date_field] == "0001-01-01":
                planned = parent.get(
                    "requestedDeliveryDate", parent.get("requestedReceiptDate", "0001-01-01")
                )
                row[date_field] = planned if planned != "0001-01-01" else parent["orderDate"]
            self.init_quantities(row, to_do=row[self.todo_field] == 0, invoice=row["invoiceQuantity"] == 0)
        line_amounts(row, self.header.price_field)

    def on_modify(self, docs: Documents, row: Row, changes: Row) -> Row:
        header = docs.require(self.header.entity_set, row["documentId"])
        quantity_only = {"invoiceQuantity", self.todo_field}
        if header["status"] != DRAFT and not set(changes) <= quantity_only:
            self.header._require_draft(header)
        done = row[self.done_field] if self.done_field else 0
        if done and {"itemId", "lineObjectNumber", "lineType"} & set(changes):
            raise errors.dialog(
                f"You cannot change the item on line {row['sequence']}: it is already {self.verb}ed."
            )
        if "quantity" in changes:
            _check_quantity(changes["quantity"])
            if changes["quantity"] < done:
                raise errors.dialog(f"Quantity cannot be less than the {self.verb}ed quantity, {done}.")
        merged = {**row, **changes}
        if {"itemId", "lineObjectNumber"} & set(changes):
            self._item_defaults(docs, merged, replace=True)
        if self.todo_field is not None:
            new_quantity = "quantity" in changes
            self.init_quantities(
                merged,
                to_do=new_quantity and self.todo_field not in changes,
                invoice=(new_quantity or self.todo_field in changes) and "invoiceQuantity" not in changes,
            )
        line_amounts(merged, self.header.price_field)
        return {k: v for k, v in merged.items() if row.get(k) != v}

    def on_delete(self, docs: Documents, row: Row) -> None:
        header = docs.require(self.header.entity_set, row["documentId"])
        if header["status"] != DRAFT:
            self.header._require_draft(header)
        if self.done_field and row[self.done_field]:
            raise errors.dialog(f"You cannot delete line {row['sequence']}: it is already {self.verb}ed.")

    def init_quantities(self, row: Row, *, to_do: bool, invoice: bool) -> None:
        """Qty. to Ship/Receive defaults to the outstanding quantity, Qty. to Invoice to what will have
        been shipped/received and is not invoiced; neither may exceed that (BC's messages)."""
        assert self.todo_field is not None
        assert self.done_field is not None
        outstanding = row["quantity"] - row[self.done_field]
        if to_do:
            row[self.todo_field] = num(outstanding)
        if not 0 <= row[self.todo_field] <= outstanding:
            raise errors.dialog(f"You cannot {self.verb} more than {num(outstanding)} units.")
        invoiceable = row[self.done_field] + row[self.todo_field] - row["invoicedQuantity"]
        if invoice:
            row["invoiceQuantity"] = num(invoiceable)
        if not 0 <= row["invoiceQuantity"] <= invoiceable:
            raise errors.dialog(f"You cannot invoice more than {num(invoiceable)} units.")

    def _item_defaults(self, docs: Documents, row: Row, *, replace: bool = False) -> None:
        item_id, number = row["itemId"], row["lineObjectNumber"]
        item = docs.reference("items", item_id, "number", number, "Item")
        if item["blocked"]:
            raise errors.dialog(f"You cannot use item {item['number']} because it is blocked.")
        row["itemId"], row["lineObjectNumber"] = item["id"], item["number"]
        row["unitOfMeasureId"] = item["baseUnitOfMeasureId"]
        price_source = "unitPrice" if self.header.price_field == "unitPrice" else "unitCost"
        for name, value in (
            ("description", item["displayName"]),
            ("unitOfMeasureCode", item["baseUnitOfMeasureCode"]),
            (self.header.price_field, item[price_source]),
        ):
            if replace or not row[name]:
                row[name] = value
        row["taxCode"] = row["taxCode"] or "STANDARD"
        row["taxPercent"] = num(self.tax_percent)


def line_amounts(row: Row, price_field: str) -> None:
    """Net, tax and gross amounts of a line from quantity, price and discount (tax on the net)."""
    gross = row["quantity"] * row[price_field]
    if row.get("discountPercent"):
        row["discountAmount"] = num(gross * row["discountPercent"] / 100, 2)
    net = round(gross - row.get("discountAmount", 0), 2)
    tax = round(net * row["taxPercent"] / 100, 2)
    row.update(
        amountExcludingTax=num(net, 2),
        totalTaxAmount=num(tax, 2),
        amountIncludingTax=num(net + tax, 2),
        netAmount=num(net, 2),
        netTaxAmount=num(tax, 2),
        netAmountIncludingTax=num(net + tax, 2),
    )


def _check_quantity(quantity: float) -> None:
    if quantity < 0:
        raise errors.dialog("Quantity must be positive.")


def set_status(docs: Documents, entity_set: str, row_id: str, status: str) -> Row:
    """BC's Release (`Open` on the API) and Reopen (`Draft`) buttons: no API action exists for them."""
    rules = docs.rules.get(entity_set)
    if entity_set not in ("salesOrders", "purchaseOrders") or not isinstance(rules, DocumentRules):
        raise errors.segment_not_found(entity_set)
    row = docs.require(entity_set, row_id)
    if status == RELEASED:
        lines = docs.state.lines(rules.lines, row["id"])
        if not any(line["lineType"] == ITEM_LINE and line["quantity"] > 0 for line in lines):
            raise errors.dialog(
                f"There is nothing to release for the document of type Order with the number {row['number']}."
            )
    if row["status"] != status:
        docs.state.update(entity_set, row["id"], {"status": status})
    return row


def install(docs: Documents) -> None:
    """Register the rules of every writable standard entity set."""
    tax = docs.config.tax_percent
    sales = DocumentRules("salesOrders", SALES, "salesOrderLines", "S-ORD", 101001, "orderDate", "unitPrice")
    purchase = DocumentRules(
        "purchaseOrders", PURCHASE, "purchaseOrderLines", "P-ORD", 106001, "orderDate", "directUnitCost"
    )
    credit = DocumentRules(
        "salesCreditMemos", RETURNS, "salesCreditMemoLines", "S-CR", 104001, "creditMemoDate", "unitPrice"
    )
    docs.rules.update(
        items=ItemRules("number", "I", 10000),
        customers=MasterRules("number", "C", 10000),
        vendors=MasterRules("number", "V", 10000),
        locations=MasterRules("code"),
        shipmentMethods=MasterRules("code"),
        customerReturnReasons=MasterRules("code"),
        salesOrders=sales,
        purchaseOrders=purchase,
        salesCreditMemos=credit,
        salesOrderLines=LineRules(sales, "shippedQuantity", "shipQuantity", "ship", tax),
        purchaseOrderLines=LineRules(purchase, "receivedQuantity", "receiveQuantity", "receive", tax),
        salesCreditMemoLines=LineRules(credit, None, None, "return", tax),
    )
