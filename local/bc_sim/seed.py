"""A deterministic catalogue for tests and the demo: the same seed gives the same ids, numbers, names,
prices, orders and opening stock; explicit entities can be added through the same rules as the API.
"""

from __future__ import annotations

import random
import uuid
from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

from local.bc_sim import orders
from local.bc_sim.documents import Documents
from local.bc_sim.errors import BcError
from local.bc_sim.model import Posting, Row
from local.bc_sim.posting import Poster

ADJECTIVES = ("Blue", "Red", "Green", "Black", "White", "Grey", "Navy", "Olive", "Sand", "Coral")
NOUNS = ("T-Shirt", "Hoodie", "Cap", "Scarf", "Sock Pack", "Tote Bag", "Beanie", "Jacket", "Gloves", "Polo")
COMPANIES = ("Adatum", "Fabrikam", "Northwind", "Contoso", "Litware", "Proseware", "Tailspin", "Wingtip")
CITIES = (
    ("London", "EC1A 1BB"),
    ("Leeds", "LS1 4DY"),
    ("Bristol", "BS1 5TR"),
    ("Glasgow", "G1 1XQ"),
    ("Cardiff", "CF10 1EP"),
    ("Manchester", "M1 1AE"),
)
LOCATIONS = (("SCEND", "Scend fulfilment centre"), ("MAIN", "Head office"), ("RETURNS", "Returns area"))
SHIPMENT_METHODS = (
    ("STD", "Standard 2-3 days"),
    ("NEXTDAY", "Next day"),
    ("EXPRESS", "Express before noon"),
    ("COLLECT", "Customer collects"),
    ("PALLET", "Pallet delivery"),
)
EXPLICIT_ORDER = (
    "locations",
    "shipmentMethods",
    "customerReturnReasons",
    "items",
    "customers",
    "vendors",
    "salesOrders",
    "purchaseOrders",
    "salesCreditMemos",
)


class SeedRequest(BaseModel):
    """What to create; counts are generated from `seed`, `entities` are created as given (API shape)."""

    model_config = ConfigDict(extra="forbid", alias_generator=to_camel, populate_by_name=True)

    seed: int = Field(1, ge=0, le=2**32)
    items: int = Field(20, ge=0, le=200_000)
    customers: int = Field(5, ge=0, le=5_000)
    vendors: int = Field(2, ge=0, le=1_000)
    locations: int = Field(2, ge=0, le=50)
    shipment_methods: int = Field(3, ge=0, le=50)
    released_sales_orders: int = Field(5, ge=0, le=20_000)
    draft_sales_orders: int = Field(1, ge=0, le=20_000)
    released_purchase_orders: int = Field(1, ge=0, le=5_000)
    draft_purchase_orders: int = Field(0, ge=0, le=5_000)
    max_lines_per_order: int = Field(3, ge=1, le=20)
    opening_stock: int = Field(100, ge=0, le=1_000_000, description="per item, at the first location")
    entities: dict[str, list[dict[str, Any]]] = Field(
        default_factory=dict,
        description="explicit entities by entity set, in API shape; orders may carry status 'Open' (released)"
        " and lines; items may carry stock {locationCode: quantity}",
    )


def seed_catalogue(docs: Documents, request: SeedRequest) -> dict[str, list[dict[str, str]]]:
    """Create the catalogue; returns what was created per entity set (id and number/code)."""
    rng = random.Random(request.seed)
    created: dict[str, list[dict[str, str]]] = {}

    def new_id() -> str:
        return str(uuid.UUID(int=rng.getrandbits(128), version=4))

    def add(entity_set: str, body: dict[str, Any]) -> Row:
        row = docs.create(entity_set, body)
        key = row.get("number") or row.get("code") or ""
        created.setdefault(entity_set, []).append({"id": row["id"], "number": key})
        return row

    with docs.ids_from(new_id):
        locations = [add("locations", _location(i)) for i in range(request.locations)]
        methods = [add("shipmentMethods", _method(i)) for i in range(request.shipment_methods)]
        items = [add("items", _item(rng, i)) for i in range(request.items)]
        customers = [add("customers", _party(rng, i, "Ltd", methods)) for i in range(request.customers)]
        vendors = [add("vendors", _party(rng, i, "Supplies", [])) for i in range(request.vendors)]
        if request.opening_stock and locations and items:
            _opening_stock(docs, [(item, locations[0]["code"], request.opening_stock) for item in items])
        for count, status, entity_set, parties in (
            (request.released_sales_orders, orders.RELEASED, "salesOrders", customers),
            (request.draft_sales_orders, orders.DRAFT, "salesOrders", customers),
            (request.released_purchase_orders, orders.RELEASED, "purchaseOrders", vendors),
            (request.draft_purchase_orders, orders.DRAFT, "purchaseOrders", vendors),
        ):
            if count and not (parties and items):
                raise BcError(400, "BadRequest", f"Seeding {entity_set} needs parties and items.")
            for _ in range(count):
                body = _order(
                    rng, entity_set, parties, items, locations, methods, request.max_lines_per_order
                )
                row = add(entity_set, body)
                if status == orders.RELEASED:
                    orders.set_status(docs, entity_set, row["id"], status)
        for entity_set in request.entities:
            if entity_set not in EXPLICIT_ORDER:
                raise BcError(
                    400,
                    "BadRequest",
                    f"Seeding '{entity_set}' is not supported: {', '.join(EXPLICIT_ORDER)}.",
                )
        for entity_set in EXPLICIT_ORDER:
            for body in request.entities.get(entity_set, []):
                _explicit(docs, entity_set, dict(body), add)
    return created


def _explicit(docs: Documents, entity_set: str, body: dict[str, Any], add: Any) -> None:
    status = body.pop("status", None) if entity_set in ("salesOrders", "purchaseOrders") else None
    stock = body.pop("stock", None) if entity_set == "items" else None
    row = add(entity_set, body)
    if status is not None:
        orders.set_status(docs, entity_set, row["id"], str(status))
    if isinstance(stock, dict):
        _opening_stock(docs, [(row, str(location), float(qty)) for location, qty in stock.items()])


def _opening_stock(docs: Documents, stock: list[tuple[Row, str, float]]) -> None:
    """One item journal (document OPENING) with a positive adjustment per item and location."""
    poster = Poster(docs)
    with docs.state.transaction():
        for item, location, quantity in stock:
            poster.post_adjustment(
                item,
                location,
                quantity,
                document_number="OPENING",
                posting_date=docs.today(),
                reason_code="",
                external_document_number="",
            )
        docs.state.record(Posting("itemJournal", "OPENING"))


def _location(i: int) -> dict[str, Any]:
    code, name = LOCATIONS[i] if i < len(LOCATIONS) else (f"LOC{i + 1:03d}", f"Location {i + 1}")
    return {"code": code, "displayName": name, "country": "GB"}


def _method(i: int) -> dict[str, Any]:
    code, name = SHIPMENT_METHODS[i] if i < len(SHIPMENT_METHODS) else (f"SM{i + 1:03d}", f"Method {i + 1}")
    return {"code": code, "displayName": name}


def _item(rng: random.Random, i: int) -> dict[str, Any]:
    price = round(rng.uniform(5, 120), 2)
    digits = f"50{rng.randrange(10**10):010d}"
    check = (10 - sum(int(d) * (3 if k % 2 else 1) for k, d in enumerate(digits)) % 10) % 10
    return {
        "number": f"SKU-{i + 1:05d}",
        "displayName": f"{rng.choice(ADJECTIVES)} {rng.choice(NOUNS)}",
        "type": "Inventory",
        "gtin": digits + str(check),
        "unitPrice": price,
        "unitCost": round(price * rng.uniform(0.35, 0.6), 2),
        "baseUnitOfMeasureCode": "PCS",
    }


def _party(rng: random.Random, i: int, suffix: str, methods: list[Row]) -> dict[str, Any]:
    city, postcode = rng.choice(CITIES)
    name = f"{rng.choice(COMPANIES)} {suffix} {i + 1}"
    body: dict[str, Any] = {
        "displayName": name,
        "addressLine1": f"{rng.randint(1, 200)} High Street",
        "city": city,
        "postalCode": postcode,
        "country": "GB",
        "email": f"orders{i + 1}@{name.split()[0].lower()}.example",
        "phoneNumber": f"+44 20 7946 {rng.randint(0, 9999):04d}",
    }
    if methods:
        body["shipmentMethodId"] = rng.choice(methods)["id"]
    return body


def _order(
    rng: random.Random,
    entity_set: str,
    parties: list[Row],
    items: list[Row],
    locations: list[Row],
    methods: list[Row],
    max_lines: int,
) -> dict[str, Any]:
    sales = entity_set == "salesOrders"
    lines = []
    for item in rng.sample(items, min(len(items), rng.randint(1, max_lines))):
        line: dict[str, Any] = {
            "lineType": "Item",
            "itemId": item["id"],
            "quantity": rng.randint(1, 5) if sales else rng.randint(10, 100),
        }
        if locations:
            line["locationId"] = locations[0]["id"]
        lines.append(line)
    party = rng.choice(parties)
    body: dict[str, Any] = {
        "customerId" if sales else "vendorId": party["id"],
        entity_set[:-1] + "Lines": lines,
    }
    if sales:
        body["externalDocumentNumber"] = f"WEB-{rng.randrange(10**6):06d}"
        if methods:
            body["shipmentMethodId"] = rng.choice(methods)["id"]
    return body
