"""Webhook subscriptions and the event envelope they deliver (contract §3.3)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import ConfigDict, Field, StringConstraints

from local.scend_sim.models.common import RequestModel, Resource, ShortText

EventType = Literal[
    "order.status_changed",
    "order.cancelled",
    "shipment.despatched",
    "stock.changed",
    "stock.adjusted",
    "asn.status_changed",
    "receipt.created",
    "return.received",
    "return.inspected",
]


class WebhookIn(RequestModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"url": "http://127.0.0.1:7071/api/scend/events", "events": ["shipment.despatched"]}]
        }
    )

    url: Annotated[str, StringConstraints(min_length=1, max_length=2000)] = Field(
        description="http(s) on a loopback host (127.0.0.1, ::1, localhost)"
    )
    events: list[EventType] = Field(min_length=1, max_length=9)
    description: ShortText | None = None


class Webhook(Resource):
    id: str
    url: str
    events: list[EventType]
    status: Literal["active", "disabled"]
    description: str | None
    created_at: datetime


class WebhookCreated(Webhook):
    """The answer to a create: the only time the secret is shown."""

    secret: str


class Event(Resource):
    id: str
    type: EventType
    created_at: datetime
    api_version: Literal["1"]
    data: dict[str, Any]
    resource_url: str
