"""Customer returns: expected (RMA pre-advice) → received → inspected → completed, or unidentified.

A return that arrives with neither a known RMA nor a known order reference is `unidentified`: its
units stay in quarantine and it goes no further. Received units go to quarantine; inspection moves
each line by its disposition (RESTOCKED → available, QUARANTINED stays, DISPOSED → disposed,
RETURN_TO_SUPPLIER → out) and a MISSING line's units leave the books. The returns feed holds a
snapshot of the return at every status change.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from local.scend_sim.catalogue import require_active
from local.scend_sim.models.returns import Condition, Disposition, Return, ReturnIn, ReturnLine, ReturnStatus
from local.scend_sim.models.stock import MovementState, StockChange
from local.scend_sim.problems import Problem, field_error
from local.scend_sim.state import SimState
from local.scend_sim.stock import Move

_DESTINATION: Mapping[Disposition, MovementState | None] = {
    "RESTOCKED": "available",
    "QUARANTINED": "quarantine",
    "DISPOSED": "disposed",
    "RETURN_TO_SUPPLIER": None,
}


@dataclass(frozen=True, slots=True)
class Arrived:
    sku: str
    quantity: int
    customer_reason: str | None = None


@dataclass(frozen=True, slots=True)
class Verdict:
    condition: Condition
    disposition: Disposition
    notes: str | None = None
    photo_urls: Sequence[str] = ()


def pre_advise(state: SimState, body: ReturnIn) -> Return:
    existing = state.return_refs.get(body.client_reference)
    if existing is not None:
        raise Problem(
            409,
            "DUPLICATE_REFERENCE",
            f"a return with client_reference {body.client_reference!r} exists",
            existing_id=existing,
        )
    require_active(state, ((f"lines[{i}].sku", line.sku) for i, line in enumerate(body.lines)))
    lines = [Arrived(line.sku, line.quantity, line.customer_reason) for line in body.lines]
    ret = _new(state, body.client_reference, body.order_reference, lines, "expected")
    state.return_refs[body.client_reference] = ret.id
    state.feeds.returns.append(ret.model_copy(deep=True))
    return ret


def arrive(
    state: SimState, rma: str | None, order_reference: str | None, lines: Sequence[Arrived]
) -> tuple[Return, list[StockChange]]:
    """A parcel comes back: the expected return it belongs to, or a new (maybe unidentified) one."""
    if rma is not None and rma in state.return_refs:
        ret = state.returns[state.return_refs[rma]]
        return ret, receive(state, ret, lines)
    known = order_reference is not None and order_reference in state.order_refs
    status: ReturnStatus = "received" if known or rma is not None else "unidentified"
    ret = _new(state, rma, order_reference, lines, status)
    if rma is not None:
        state.return_refs[rma] = ret.id
    return ret, _book_in(state, ret)


def receive(state: SimState, ret: Return, lines: Sequence[Arrived] = ()) -> list[StockChange]:
    """An expected return arrives, with `lines` as counted (default: as advised)."""
    if ret.status != "expected":
        raise Problem(409, "INVALID_STATE", f"return {ret.id} is {ret.status}", current_status=ret.status)
    if lines:
        ret.lines = _lines(lines)
    ret.status = "received"
    return _book_in(state, ret)


def inspect(state: SimState, ret: Return, verdicts: Mapping[int, Verdict]) -> list[StockChange]:
    """Grade each line (unlisted lines: A_RESELLABLE, RESTOCKED) and move its units accordingly."""
    if ret.status != "received":
        raise Problem(409, "INVALID_STATE", f"return {ret.id} is {ret.status}", current_status=ret.status)
    numbers = {line.line_no for line in ret.lines}
    unknown = [no for no in verdicts if no not in numbers]
    if unknown:
        raise Problem(
            422,
            "VALIDATION_FAILED",
            "the return has no such line",
            errors=[field_error("lines", "UNKNOWN_LINE", f"line_no {no}") for no in unknown],
        )
    moves = []
    for line in ret.lines:
        verdict = verdicts.get(line.line_no, Verdict("A_RESELLABLE", "RESTOCKED"))
        line.condition, line.disposition = verdict.condition, verdict.disposition
        line.notes, line.photo_urls = verdict.notes, list(verdict.photo_urls)
        target = None if verdict.condition == "MISSING" else _DESTINATION[verdict.disposition]
        if target != "quarantine":
            moves.append(Move(line.sku, line.quantity, "quarantine", target))
    now = state.now()
    changes = state.ledger.apply(moves, "return", ret.id, "return", now) if moves else []
    ret.inspected_at = now
    _changed(state, ret, "inspected")
    if state.events.wants("return.inspected"):
        state.events.publish("return.inspected", ret, f"/v1/returns/{ret.id}")
    return changes


def complete(state: SimState, ret: Return) -> None:
    if ret.status != "inspected":
        raise Problem(409, "INVALID_STATE", f"return {ret.id} is {ret.status}", current_status=ret.status)
    ret.completed_at = state.now()
    _changed(state, ret, "completed")


def _book_in(state: SimState, ret: Return) -> list[StockChange]:
    moves = [Move(line.sku, line.quantity, None, "quarantine") for line in ret.lines]
    now = state.now()
    changes = state.ledger.apply(moves, "return", ret.id, "return", now)
    ret.received_at = now
    _changed(state, ret, ret.status)
    if state.events.wants("return.received"):
        state.events.publish("return.received", ret, f"/v1/returns/{ret.id}")
    return changes


def _changed(state: SimState, ret: Return, status: ReturnStatus) -> None:
    ret.status = status
    ret.updated_at = state.now()
    ret.version += 1
    state.feeds.returns.append(ret.model_copy(deep=True))


def _new(
    state: SimState,
    rma: str | None,
    order_reference: str | None,
    lines: Sequence[Arrived],
    status: ReturnStatus,
) -> Return:
    now = state.now()
    ret = Return(
        id=state.ids.new("ret"),
        client_reference=rma,
        rma=rma,
        order_reference=order_reference,
        order_id=state.order_refs.get(order_reference) if order_reference else None,
        status=status,
        lines=_lines(lines),
        created_at=now,
        received_at=None,
        inspected_at=None,
        completed_at=None,
        updated_at=now,
        version=1,
    )
    state.returns[ret.id] = ret
    return ret


def _lines(lines: Sequence[Arrived]) -> list[ReturnLine]:
    return [
        ReturnLine(
            line_no=no,
            sku=line.sku,
            quantity=line.quantity,
            customer_reason=line.customer_reason,
            condition=None,
            disposition=None,
            notes=None,
            photo_urls=[],
        )
        for no, line in enumerate(lines, start=1)
    ]
