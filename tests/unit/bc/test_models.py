"""Models: real enum values in, escaped out; unknown fields ignored; personal data kept out of repr."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from shared.bc.enums import DocumentStatus, ItemLedgerEntryType
from shared.bc.models import CreditMemoDraft, CreditMemoLineDraft, Customer, ItemLedgerEntry, SalesOrder
from tests.unit.bc.support import ORDER_ID, order_line, sales_order


def test_an_order_reads_with_real_enum_values_and_its_etag() -> None:
    order = SalesOrder.model_validate(
        sales_order(
            status="In_x0020_Review", orderDate="0001-01-01", salesOrderLines=[order_line(quantity=2.5)]
        )
    )
    assert order.status == DocumentStatus.IN_REVIEW == "In Review"
    assert order.id == ORDER_ID
    assert order.etag == 'W/"JzE7Jw=="'
    assert order.order_date is None  # BC's blank date
    assert order.last_modified_date_time == datetime(2026, 11, 27, 9, 0, tzinfo=UTC)
    (line,) = order.sales_order_lines or []
    assert line.quantity == Decimal("2.5")
    assert line.outstanding_quantity == Decimal("2.5")


def test_fields_bc_adds_later_are_ignored() -> None:
    order = SalesOrder.model_validate(sales_order(aFieldFromBc30="x", **{"@odata.context": "c"}))
    assert not hasattr(order, "aFieldFromBc30")
    assert "aFieldFromBc30" not in order.model_dump()


def test_personal_data_stays_out_of_repr() -> None:
    order = SalesOrder.model_validate(
        sales_order(shipToAddressLine1="1 Analytical Row", email="ada@example.com")
    )
    customer = Customer.model_validate(
        {"id": str(ORDER_ID), "number": "C1", "displayName": "Ada Lovelace", "phoneNumber": "0123"}
    )
    text = repr(order) + repr(customer) + str(order) + str(customer)
    for personal in ("Ada", "Analytical", "ada@example.com", "0123", "JzE7Jw"):
        assert personal not in text
    assert "SO1001" in text


def test_a_draft_is_written_with_camel_case_escaped_enums_and_numbers() -> None:
    draft = CreditMemoDraft(
        customer_number="C1",
        external_document_number="RET-1",
        sales_credit_memo_lines=[
            CreditMemoLineDraft(line_object_number="1000-BLU", quantity=Decimal(2)),
            CreditMemoLineDraft(line_type="Fixed Asset", quantity=Decimal("1.5"), unit_price=Decimal("9.99")),
        ],
    )
    assert draft.wire() == {
        "customerNumber": "C1",
        "externalDocumentNumber": "RET-1",
        "salesCreditMemoLines": [
            {"lineType": "Item", "lineObjectNumber": "1000-BLU", "quantity": 2},
            {"lineType": "Fixed_x0020_Asset", "quantity": 1.5, "unitPrice": 9.99},
        ],
    }


def test_ledger_entry_types_read_as_bc_names_them() -> None:
    entry = ItemLedgerEntry.model_validate(
        {
            "id": str(ORDER_ID),
            "entryNumber": 7,
            "itemNumber": "1000-BLU",
            "entryType": "Positive_x0020_Adjmt_x002E_",
            "documentType": "Sales_x0020_Shipment",
            "quantity": 4,
        }
    )
    assert entry.entry_type == ItemLedgerEntryType.POSITIVE_ADJUSTMENT
    assert entry.document_type == "Sales Shipment"
