"""Webhook subscriptions (`/api/v2.0/subscriptions`): keyed by `subscriptionId`, not `id`."""

from __future__ import annotations

from pydantic import Field

from shared.bc.models.base import BcDateTime, BcModel


class Subscription(BcModel):
    subscription_id: str
    notification_url: str
    resource: str
    client_state: str | None = Field(default=None, repr=False)
    expiration_date_time: BcDateTime = None
    last_modified_date_time: BcDateTime = None
    etag: str | None = Field(default=None, alias="@odata.etag", repr=False)
