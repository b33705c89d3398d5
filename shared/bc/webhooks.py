"""BC webhook subscriptions: create, renew, delete, list (`{service root}/subscriptions`).

BC validates `notificationUrl` on create and on renew (it calls it with `validationToken`, which
our HTTP function echoes), deletes a subscription after 3 days unless it is renewed, and deletes
it at once when the notification URL answers anything but 2xx/408/429/5xx (reference §4). The key
is a string, so it is quoted in the URL: `subscriptions('{id}')`. Renew and delete need If-Match.
"""

from __future__ import annotations

from uuid import UUID

from shared.bc.api import BcApi
from shared.bc.errors import BcRecordNotFound
from shared.bc.models import Subscription


def _quoted(key: str) -> str:
    return "'" + key.replace("'", "''") + "'"


class Subscriptions:
    def __init__(self, api: BcApi) -> None:
        self._api = api

    def resource(self, entity_set: str, company_id: UUID | str | None = None) -> str:
        """The resource a subscription watches: `/api/v2.0/companies({id})/{entitySet}`."""
        return f"/api/v2.0/companies({company_id or self._api.company_id})/{entity_set}"

    async def create(self, resource: str, notification_url: str, client_state: str) -> Subscription:
        """Subscribe; BC answers 201 after the handshake succeeded.

        Once-only: an in-doubt create may have left a subscription behind, so the caller lists
        and matches on `resource` + `notificationUrl` before creating again.
        """
        body = {"notificationUrl": notification_url, "resource": resource, "clientState": client_state}
        return await self._api.create(Subscription, f"{self._api.root}/subscriptions", body)

    async def renew(self, subscription: Subscription) -> Subscription:
        """PATCH with If-Match: BC repeats the handshake and moves the expiry 3 days on."""
        body = {"notificationUrl": subscription.notification_url, "resource": subscription.resource}
        if subscription.client_state is not None:
            body["clientState"] = subscription.client_state
        return await self._api.update(Subscription, self._url(subscription), subscription.etag, body)

    async def delete(self, subscription: Subscription) -> bool:
        """Delete; False when it was already gone (expired, or deleted by BC after a refused notification)."""
        try:
            await self._api.delete(self._url(subscription), subscription.etag)
        except BcRecordNotFound:
            return False
        return True

    async def list(self) -> list[Subscription]:
        """Every subscription of this app registration in the environment."""
        return await self._api.collect(Subscription, f"{self._api.root}/subscriptions")

    async def find(self, resource: str, notification_url: str) -> Subscription | None:
        """Ours for this resource, if BC has it (in-doubt resolution of `create`, and renewal)."""
        for subscription in await self.list():
            if subscription.resource == resource and subscription.notification_url == notification_url:
                return subscription
        return None

    async def get(self, subscription_id: str) -> Subscription:
        return await self._api.get(
            Subscription, f"{self._api.root}/subscriptions({_quoted(subscription_id)})"
        )

    def _url(self, subscription: Subscription) -> str:
        return f"{self._api.root}/subscriptions({_quoted(subscription.subscription_id)})"
