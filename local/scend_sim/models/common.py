"""Shared building blocks of the contract's models: base classes, field types and page shapes."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints


class RequestModel(BaseModel):
    """A body the simulator accepts: unknown fields and loose types are refused (422)."""

    model_config = ConfigDict(extra="forbid", strict=True, allow_inf_nan=False)


class Resource(BaseModel):
    """A record the simulator answers with; every field is always present in the JSON."""

    model_config = ConfigDict(extra="forbid", json_schema_serialization_defaults_required=True)


# Printable ASCII, no leading or trailing space: what BC document numbers look like.
Reference = Annotated[str, StringConstraints(min_length=1, max_length=50, pattern=r"^[!-~](?:[ -~]*[!-~])?$")]
Sku = Annotated[str, StringConstraints(min_length=1, max_length=50, pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$")]
Name = Annotated[str, StringConstraints(min_length=1, max_length=100)]
Text = Annotated[str, StringConstraints(max_length=1000)]
ShortText = Annotated[str, StringConstraints(max_length=100)]
CountryCode = Annotated[str, StringConstraints(pattern=r"^[A-Z]{2}$")]
Currency = Annotated[str, StringConstraints(pattern=r"^[A-Z]{3}$")]
Quantity = Annotated[int, Field(ge=1, le=1_000_000)]
Count = Annotated[int, Field(ge=0, le=1_000_000)]
Kilograms = Annotated[float, Field(ge=0, le=100_000)]


class Page[T: BaseModel](BaseModel):
    """A page of a list: `next_cursor` is null on the last page."""

    model_config = ConfigDict(json_schema_serialization_defaults_required=True)

    data: list[T]
    next_cursor: str | None


class FeedPage[T: BaseModel](BaseModel):
    """A page of a change feed: `next_cursor` is never null (the cursor sent when nothing is new)."""

    model_config = ConfigDict(json_schema_serialization_defaults_required=True)

    data: list[T]
    next_cursor: str
    has_more: bool
