"""What every BC model shares: camelCase aliases, ignored extra fields, enum and number wire forms.

Unknown fields are ignored, so a BC update that adds fields breaks nothing. Fields that hold
personal data (names, addresses, phone, email) are left out of `repr`, so a model in a log line or
an exception does not carry them.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated, Any
from uuid import UUID

from pydantic import AwareDatetime, BaseModel, BeforeValidator, ConfigDict, Field, PlainSerializer
from pydantic.alias_generators import to_camel

from shared.bc.enums import escape_enum, unescape_enum

EMPTY_GUID = UUID(int=0)


def _unescape(value: Any) -> Any:
    return unescape_enum(value) if isinstance(value, str) else value


def json_number(value: Decimal | int) -> int | float:
    """BC wants JSON numbers, not the strings pydantic writes for Decimal."""
    number = Decimal(value)
    return int(number) if number == number.to_integral_value() else float(number)


def _blank_date(value: Any) -> Any:
    """BC has no nulls: an empty date is 0001-01-01."""
    return None if value in ("0001-01-01", date.min) else value


def _blank_datetime(value: Any) -> Any:
    """An empty datetime is 0001-01-01T00:00:00Z."""
    return None if isinstance(value, str) and value.startswith("0001-01-01") else value


def _blank_guid(value: Any) -> Any:
    """An empty GUID is all zeros."""
    return None if value in (EMPTY_GUID, str(EMPTY_GUID)) else value


BcEnum = Annotated[str, BeforeValidator(_unescape), PlainSerializer(escape_enum, when_used="json")]
"""An enum value as BC means it (`In Review`); escaped again (`In_x0020_Review`) in JSON."""

Number = Annotated[Decimal, PlainSerializer(json_number, when_used="json")]
BcDate = Annotated[date | None, BeforeValidator(_blank_date)]
BcDateTime = Annotated[AwareDatetime | None, BeforeValidator(_blank_datetime)]
BcGuid = Annotated[UUID | None, BeforeValidator(_blank_guid)]
"""An optional reference to another entity (a customer, a location); None where BC sends zeros."""
Personal = Annotated[str | None, Field(repr=False)]


class BcModel(BaseModel):
    model_config = ConfigDict(
        alias_generator=to_camel,
        validate_by_name=True,
        validate_by_alias=True,
        serialize_by_alias=True,
        extra="ignore",
        frozen=True,
    )

    def wire(self, *, exclude_none: bool = True) -> dict[str, Any]:
        """The JSON body for BC (aliases, escaped enums, numbers as numbers)."""
        return self.model_dump(mode="json", by_alias=True, exclude_none=exclude_none)


class BcEntity(BcModel):
    """An entity with its OData key and the ETag an update must send back in If-Match."""

    id: UUID
    etag: str | None = Field(default=None, alias="@odata.etag", repr=False)
