"""Order release: a released BC `SalesOrder` becomes the Scend `OrderRequest` sent with `POST /orders`.

Only what the warehouse acts on is mapped, so `order_version` (a hash of the request) moves when
the warehouse would see a difference and stays put for every other BC change (a posting date, a
discount, a comment line, the quantity shipped so far). The rules, field by field, are in
docs/mapping.md.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import NoReturn

from shared.bc.enums import DocumentLineType
from shared.bc.models import SalesOrder, SalesOrderLine
from shared.errors import PermanentError
from shared.mapping.addresses import ship_to
from shared.mapping.contract import CURRENCY_PATTERN, MAX_ORDER_LINES, MAX_QUANTITY, sku_problem
from shared.mapping.hashing import digest
from shared.mapping.lookups import Lookups, Shipping
from shared.mapping.references import client_reference
from shared.mapping.skips import Skipped
from shared.scend.models import OrderLineRequest, OrderRequest


def map_order(
    order: SalesOrder,
    lookups: Lookups,
    *,
    release: int = 1,
    lines: Sequence[SalesOrderLine] | None = None,
    shipping: Shipping | None = None,
) -> OrderRequest | Skipped:
    """The Scend order for release `release` of a BC order, or `Skipped` when it has nothing to pick.

    `lines` default to the order's expanded `salesOrderLines`; `shipping` to its expanded
    `shipmentMethod` (agent and service unknown). Reading either without the expansion is a defect.
    """
    picked = warehouse_lines(order, lines)
    if not picked:
        return Skipped(f"order {order.number} has no item lines: the warehouse has nothing to ship")
    if order.order_date is None:
        _reject(order, "ORDER_REJECTED_BY_WMS", "orderDate is blank")
    if len(picked) > MAX_ORDER_LINES:
        _reject(order, "ORDER_REJECTED_BY_WMS", f"{len(picked)} item lines; Scend takes {MAX_ORDER_LINES}")
    currency = _currency(order, lookups)
    despatch_dates = [line.shipment_date for line in picked if line.shipment_date is not None]
    return OrderRequest(
        client_reference=client_reference(order.id, order.number, release),
        order_date=order.order_date,
        requested_despatch_date=min(despatch_dates, default=None),
        service_code=lookups.service_code(shipping or _shipping(order)),
        ship_to=ship_to(order, lookups.home_country),
        lines=[_line(order, line, currency) for line in picked],
    )


def order_version(request: OrderRequest) -> str:
    """What makes two versions of an order different for the warehouse: a hash of the request.

    Content-addressed, so a retry or a second poll of an unchanged order has the same version and
    its message is dropped as a duplicate. The same content has the same version again after a
    change and its undoing (A → B → A): the flow compares with the version it last sent (kept in
    the cross-reference), not only with the broker's duplicate detection window.
    """
    return digest(request)


def required_skus(order: SalesOrder, lines: Sequence[SalesOrderLine] | None = None) -> set[str]:
    """The SKUs that must be warehouse-ready before the order can be sent (the release gate)."""
    return {sku for line in warehouse_lines(order, lines) if (sku := _sku(line))}


def warehouse_lines(order: SalesOrder, lines: Sequence[SalesOrderLine] | None = None) -> list[SalesOrderLine]:
    """The lines the warehouse ships: item lines with a quantity, by line no.

    Comment, G/L account, resource, fixed asset, charge and allocation lines have nothing to pick.
    """
    chosen = lines if lines is not None else order.sales_order_lines
    if chosen is None:
        raise ValueError(f"order {order.number}: read it with $expand=salesOrderLines or pass its lines")
    for line in chosen:
        if line.document_id != order.id:
            _reject(order, "MESSAGE_INVALID", f"line {line.sequence} belongs to another document")
    items = [line for line in chosen if line.line_type == DocumentLineType.ITEM and line.quantity != 0]
    sequences = [line.sequence for line in items]
    if len(set(sequences)) != len(sequences):
        # Checked before anything reaches Scend, so an amend never cancels an order it cannot replace.
        _reject(order, "MESSAGE_INVALID", "two item lines share one line number (line_ref)")
    return sorted(items, key=lambda line: line.sequence)


def _reject(order: SalesOrder, exception_type: str, detail: str) -> NoReturn:
    raise PermanentError(exception_type, f"order {order.number}: {detail}", business_key=order.number)


def _shipping(order: SalesOrder) -> Shipping:
    if order.shipment_method is not None:
        return Shipping(order.shipment_method.code)
    if order.shipment_method_id is not None:
        raise ValueError(f"order {order.number}: read it with $expand=shipmentMethod or pass its shipping")
    return Shipping(None)


def _currency(order: SalesOrder, lookups: Lookups) -> str | None:
    """currencyCode; blank means the company's local currency in BC (the lookup's home_currency)."""
    code = (order.currency_code or "").strip().upper() or lookups.home_currency
    if code is not None and not CURRENCY_PATTERN.fullmatch(code):
        _reject(order, "ORDER_REJECTED_BY_WMS", f"currencyCode {code!r} is not an ISO 4217 code")
    return code


def _sku(line: SalesOrderLine) -> str:
    return (line.line_object_number or "").strip()


def _line(order: SalesOrder, line: SalesOrderLine, currency: str | None) -> OrderLineRequest:
    where = f"line {line.sequence}"
    sku = _sku(line)
    if not sku:
        _reject(order, "ORDER_REJECTED_BY_WMS", f"{where} is an item line without an item number")
    problem = sku_problem(sku)
    if problem is not None:
        _reject(order, "SKU_NOT_IN_WMS", f"{where}: item {sku!r} cannot be a Scend SKU: {problem}")
    if line.item_variant_id is not None:
        _reject(
            order,
            "MAPPING_MISSING",
            f"{where}: item {sku} is ordered as a variant, and variants have no Scend SKU mapping",
        )
    return OrderLineRequest(
        line_ref=str(line.sequence),
        sku=sku,
        quantity=_units(order, where, line.quantity),
        unit_price=_price(order, where, line.unit_price),
        currency=currency if line.unit_price is not None else None,
    )


def _units(order: SalesOrder, where: str, quantity: Decimal) -> int:
    """The whole number of units ordered (not outstanding: shipments must not change the version)."""
    if quantity != quantity.to_integral_value():
        _reject(
            order, "ORDER_REJECTED_BY_WMS", f"{where}: quantity {quantity} is not a whole number of units"
        )
    if not 0 < quantity <= MAX_QUANTITY:
        _reject(order, "ORDER_REJECTED_BY_WMS", f"{where}: quantity {quantity} is outside 1..{MAX_QUANTITY}")
    return int(quantity)


def _price(order: SalesOrder, where: str, price: Decimal | None) -> Decimal | None:
    if price is not None and price < 0:
        _reject(order, "ORDER_REJECTED_BY_WMS", f"{where}: the unit price is negative")
    return price
