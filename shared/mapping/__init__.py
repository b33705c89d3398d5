"""Pure BC ↔ Scend transforms and lookup tables: no I/O, no clock, no Azure, no HTTP.

Item export calls `map_item` and `content_hash`; order release calls `required_skus`, `map_order`
and `order_version`. Both take a `Lookups` from `load_lookups` (an app setting or a file) or
`default_lookups`. Rules and the lookup format: docs/mapping.md.
"""

from shared.mapping.items import ItemLogistics, content_hash, map_item
from shared.mapping.lookups import (
    Lookups,
    LookupTableInvalid,
    Shipping,
    default_lookups,
    load_lookups,
)
from shared.mapping.orders import map_order, order_version, required_skus, warehouse_lines
from shared.mapping.references import ParsedReference, client_reference, parse_client_reference
from shared.mapping.skips import Skipped

__all__ = [
    "ItemLogistics",
    "LookupTableInvalid",
    "Lookups",
    "ParsedReference",
    "Shipping",
    "Skipped",
    "client_reference",
    "content_hash",
    "default_lookups",
    "load_lookups",
    "map_item",
    "map_order",
    "order_version",
    "parse_client_reference",
    "required_skus",
    "warehouse_lines",
]
