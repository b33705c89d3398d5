"""Which BC order a Scend record (a shipment, a return) belongs to, by our own references only.

The Scend order id leads through the cross-reference (`scend|<id>` → `bc|<order id>`); nothing a
person can edit (a customer name, an order number typed at Scend) is ever used. When the link is
not there yet, the record's `client_reference` decides: one this integration made means the order's
cross-reference is on its way (Scend accepted the order, our worker has not saved the answer), so
the record waits until `wait_until`; any other reference can never match, so it is `exception_type`
at once.
"""

from __future__ import annotations

from datetime import datetime

from shared.errors import PermanentError, WaitingForDependency
from shared.flows.order_holds import ORDER_KIND
from shared.mapping.references import parse_client_reference
from shared.store.crossrefs import CrossReference, CrossReferenceStore


async def linked_order(
    cross_references: CrossReferenceStore,
    *,
    scend_order_id: str | None,
    reference: str | None,
    what: str,
    exception_type: str,
    business_key: str,
    wait_until: datetime,
) -> CrossReference:
    """The order's cross-reference; waits or raises `exception_type` as the module docstring says.

    `what` names the record for people ("shipment shp_1").
    """
    if scend_order_id:
        ref = await cross_references.get_by_scend(ORDER_KIND, scend_order_id)
        if ref is not None:
            return ref
    where = f"{what} for Scend order {reference or '(no reference)'}"
    if parse_client_reference(reference or "") is None:
        raise PermanentError(
            exception_type,
            f"{where}: the reference was not made by this integration (keyed in at Scend?)",
            business_key=business_key,
        )
    raise WaitingForDependency(
        f"{where}: no Business Central order is linked to it yet",
        exception_type=exception_type,
        give_up_at=wait_until,
    )
