"""The exception catalogue: every exception type, who owns it, how bad it is and how to fix it."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Owner(StrEnum):
    """The team that can fix an exception, in the business's own words."""

    FINANCE = "finance"
    WAREHOUSE_OPS = "warehouse ops"
    ECOMMERCE_MASTER_DATA = "e-commerce and master data"
    CUSTOMER_SERVICES = "customer services"
    PURCHASING = "purchasing"
    IT = "IT"


class Severity(StrEnum):
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"


@dataclass(frozen=True, slots=True)
class ExceptionType:
    code: str
    owner: Owner
    severity: Severity
    meaning: str
    fix_hint: str


def _entry(code: str, owner: Owner, severity: Severity, meaning: str, fix_hint: str) -> ExceptionType:
    return ExceptionType(code, owner, severity, meaning, fix_hint)


CATALOGUE: dict[str, ExceptionType] = {
    e.code: e
    for e in (
        _entry(
            "MESSAGE_INVALID",
            Owner.IT,
            Severity.HIGH,
            "A message on a queue was not a valid integration envelope, so no flow could read it.",
            "Check which system produced the message; fix it at the source, then replay or resolve.",
        ),
        _entry(
            "RETRIES_EXHAUSTED",
            Owner.IT,
            Severity.HIGH,
            "A document kept failing with a temporary error (timeouts, throttling, outages) until "
            "the retry budget was spent.",
            "Check that Business Central and Scend are reachable (deep health), then press Retry.",
        ),
        _entry(
            "ITEM_REJECTED_BY_WMS",
            Owner.ECOMMERCE_MASTER_DATA,
            Severity.HIGH,
            "Scend refused the item, so orders containing it cannot be sent to the warehouse.",
            "Correct the item card in Business Central as the reason says; the item is re-sent on save.",
        ),
        _entry(
            "ORDER_REJECTED_BY_WMS",
            Owner.CUSTOMER_SERVICES,
            Severity.HIGH,
            "Scend refused the order (an invalid address or another field it cannot accept), so it "
            "will not be picked.",
            "Correct the order in Business Central as the reason's fields say (often the ship-to "
            "address), then press Retry.",
        ),
        _entry(
            "ASN_REJECTED_BY_WMS",
            Owner.PURCHASING,
            Severity.MEDIUM,
            "Scend refused the advance shipping notice for a purchase order, so the warehouse is not "
            "expecting the delivery.",
            "Correct the purchase order in Business Central as the reason's fields say, then press Retry.",
        ),
        _entry(
            "SCEND_AUTH_FAILED",
            Owner.IT,
            Severity.HIGH,
            "Scend refused the integration's API key (401/403), so nothing reaches the warehouse.",
            "Check SCEND_API_KEY in Key Vault matches the key Scend issued and is not revoked; "
            "then press Retry on the held documents.",
        ),
        _entry(
            "SKU_NOT_IN_WMS",
            Owner.ECOMMERCE_MASTER_DATA,
            Severity.HIGH,
            "An order line uses an item the warehouse does not know yet; the order is held.",
            "Make sure the item exists and is not blocked in Business Central; the order is released "
            "by itself once Scend confirms the item.",
        ),
        _entry(
            "MAPPING_MISSING",
            Owner.IT,
            Severity.HIGH,
            "No Scend value is mapped for a Business Central code (shipment method, agent, location "
            "or reason); the document is held.",
            "Add the mapping in the integration's lookup table; held documents are released by themselves.",
        ),
        _entry(
            "ORDER_NOT_CANCELLABLE",
            Owner.CUSTOMER_SERVICES,
            Severity.HIGH,
            "The order was changed or cancelled in Business Central after Scend started picking it.",
            "Call the warehouse to stop the parcel, or let it ship and raise a return.",
        ),
        _entry(
            "ORPHANED_FULFILMENT",
            Owner.WAREHOUSE_OPS,
            Severity.HIGH,
            "Scend despatched something the integration cannot match to a Business Central order.",
            "Ask Scend which order the parcel belongs to; correct the reference and press Retry.",
        ),
        _entry(
            "QUANTITY_MISMATCH",
            Owner.WAREHOUSE_OPS,
            Severity.HIGH,
            "Scend reported more despatched than the order line asked for.",
            "Check the despatch with Scend; adjust the order in Business Central, then press Retry.",
        ),
        _entry(
            "RETURN_UNMATCHED",
            Owner.FINANCE,
            Severity.MEDIUM,
            "A return arrived for an order the integration cannot find.",
            "Find the original order and create the credit memo by hand, then resolve this.",
        ),
        _entry(
            "ADJUSTMENT_NEEDS_REVIEW",
            Owner.FINANCE,
            Severity.MEDIUM,
            "Scend adjusted stock; the journal line to post is proposed for review.",
            "Post the proposed item journal line in Business Central, then resolve this.",
        ),
        _entry(
            "ASN_NOT_CANCELLABLE",
            Owner.PURCHASING,
            Severity.MEDIUM,
            "A purchase order changed in Business Central after its delivery reached the warehouse, so "
            "the advance shipping notice at Scend could not be changed.",
            "Agree the change with Scend and the supplier; the receipt will be checked against the order.",
        ),
        _entry(
            "RECEIPT_NEEDS_POSTING",
            Owner.PURCHASING,
            Severity.MEDIUM,
            "Scend received goods for a purchase order; Business Central cannot receive without invoicing "
            "here, so the receipt is proposed for purchasing to post.",
            "Post the receipt in Business Central with the quantities shown, then resolve this.",
        ),
        _entry(
            "RECEIPT_VARIANCE",
            Owner.PURCHASING,
            Severity.MEDIUM,
            "Scend received more, less or other goods than the purchase order expected.",
            "Agree the difference with the supplier; amend the purchase order, then press Retry.",
        ),
        _entry(
            "BAD_SIGNATURE",
            Owner.IT,
            Severity.HIGH,
            "A request claiming to come from Scend was not signed with a current secret.",
            "Check the webhook secret in Key Vault matches Scend's; rotate both if it leaked.",
        ),
        _entry(
            "FEED_STALLED",
            Owner.IT,
            Severity.HIGH,
            "A Scend change feed has not moved for longer than expected.",
            "Check Scend's status and the integration's deep health; the feed resumes from its cursor.",
        ),
        _entry(
            "SUBSCRIPTION_LOST",
            Owner.IT,
            Severity.MEDIUM,
            "A Business Central webhook subscription could not be created or renewed; polling still "
            "runs, so changes arrive later, not never.",
            "Check that BC_NOTIFICATION_URL (with its function key) is reachable and answers the "
            "validationToken handshake, and the app registration's permissions; then run "
            "renew_bc_subscriptions now: it resolves this by itself.",
        ),
        _entry(
            "ORDER_NOT_IN_WMS",
            Owner.CUSTOMER_SERVICES,
            Severity.HIGH,
            "A released order has not been accepted by Scend in time.",
            "Open the order's exceptions for the cause; if there is none, press Retry.",
        ),
        _entry(
            "DESPATCH_OVERDUE",
            Owner.WAREHOUSE_OPS,
            Severity.MEDIUM,
            "Scend accepted the order but has not despatched it by the cut-off.",
            "Ask Scend for the order's status; tell the customer if it will be late.",
        ),
        _entry(
            "TRACKING_MISSING",
            Owner.CUSTOMER_SERVICES,
            Severity.LOW,
            "The order was despatched without a tracking number.",
            "Ask Scend for the tracking number; add it to the order's timeline.",
        ),
        _entry(
            "WATERMARK_STALE",
            Owner.IT,
            Severity.HIGH,
            "A poll has not advanced for longer than its threshold; documents may be waiting.",
            "Check the deep health page and the function's failures in Application Insights.",
        ),
        _entry(
            "DEAD_LETTERS",
            Owner.IT,
            Severity.HIGH,
            "Messages are waiting in a dead-letter queue.",
            "Run `bcscend replay-dead-letters --queue <name> --dry-run`, read it, then replay.",
        ),
        _entry(
            "STOCK_VARIANCE",
            Owner.FINANCE,
            Severity.MEDIUM,
            "Business Central and Scend disagree on stock for an item, and nothing in flight explains it.",
            "Ask Scend to count the item; post the difference with a reason once confirmed.",
        ),
        _entry(
            "BC_REQUEST_REJECTED",
            Owner.IT,
            Severity.HIGH,
            "Business Central refused a request as invalid; its error code (in the detail) says which "
            "rule failed, for example a blocked item or a value too long.",
            "Open the document in Business Central, correct what the error code names, then press Retry.",
        ),
        _entry(
            "BC_RECORD_NOT_FOUND",
            Owner.IT,
            Severity.MEDIUM,
            "A record the integration refers to no longer exists in Business Central (deleted or renamed).",
            "Check whether the document was deleted in Business Central; recreate it, or resolve this.",
        ),
        _entry(
            "BC_ACCESS_DENIED",
            Owner.IT,
            Severity.HIGH,
            "Business Central refused the integration's credentials or permissions.",
            "Check the app registration's secret or certificate, its Microsoft Entra Applications card "
            "in Business Central (State = Enabled) and its permission sets, then press Retry.",
        ),
    )
}


def lookup(code: str) -> ExceptionType:
    """The catalogue entry for a code; unknown codes are a defect, not data."""
    return CATALOGUE[code]
