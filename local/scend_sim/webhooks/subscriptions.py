"""Webhook subscriptions: loopback URLs only, the event types wanted, and the signing secrets.

A subscription is created with one secret (shown once, in the create answer). The control
surface can add a secret (a rotation: deliveries are then signed with every active secret) or
replace the list. After a delivery has used every attempt the subscription is `disabled`.
"""

from __future__ import annotations

import ipaddress
import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from urllib.parse import urlsplit

from local.scend_sim.models.webhooks import EventType, Webhook, WebhookIn
from local.scend_sim.problems import Problem, field_error, not_found
from local.scend_sim.webhooks.signing import is_secret, new_secret

_LOOPBACK_NAMES = frozenset({"localhost"})


@dataclass(slots=True)
class Subscription:
    id: str
    url: str
    events: list[EventType]
    description: str | None
    created_at: datetime
    secrets: list[str] = field(default_factory=list)
    status: str = "active"

    def resource(self) -> Webhook:
        return Webhook(
            id=self.id,
            url=self.url,
            events=self.events,
            status="active" if self.status == "active" else "disabled",
            description=self.description,
            created_at=self.created_at,
        )


def require_loopback(url: str) -> None:
    """The simulator only calls back to this machine: http(s) to 127.0.0.0/8, ::1 or localhost."""
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        loopback = (
            parts.scheme in ("http", "https")
            and (parts.port or 80) > 0  # reading the port checks it
            and (host in _LOOPBACK_NAMES or ipaddress.ip_address(host).is_loopback)
        )
    except ValueError:
        loopback = False
    if not loopback:
        raise Problem(
            422,
            "VALIDATION_FAILED",
            "webhook URLs must be http(s) on a loopback address",
            errors=[field_error("url", "NOT_LOOPBACK", "use 127.0.0.1, ::1 or localhost")],
        )


class Subscriptions:
    def __init__(self, rng: random.Random) -> None:
        self._rng = rng
        self._count = 0
        self.by_id: dict[str, Subscription] = {}

    def add(self, body: WebhookIn, now: datetime) -> tuple[Subscription, str]:
        require_loopback(body.url)
        self._count += 1
        secret = new_secret(self._rng)
        subscription = Subscription(
            id=f"whk_{self._count:08d}",
            url=body.url,
            events=list(dict.fromkeys(body.events)),
            description=body.description,
            created_at=now,
            secrets=[secret],
        )
        self.by_id[subscription.id] = subscription
        return subscription, secret

    def get(self, subscription_id: str) -> Subscription:
        found = self.by_id.get(subscription_id)
        if found is None:
            raise not_found("webhook", subscription_id)
        return found

    def remove(self, subscription_id: str) -> None:
        self.get(subscription_id)
        del self.by_id[subscription_id]

    def rotate(self, subscription_id: str, *, retire_old: bool = False) -> str:
        """Add a new secret (returned); with `retire_old`, it becomes the only one."""
        subscription = self.get(subscription_id)
        secret = new_secret(self._rng)
        subscription.secrets = [secret] if retire_old else [*subscription.secrets, secret]
        return secret

    def set_secrets(self, subscription_id: str, secrets: Sequence[str]) -> None:
        subscription = self.get(subscription_id)
        bad = [i for i, secret in enumerate(secrets) if not is_secret(secret)]
        if not secrets or bad:
            raise Problem(
                422,
                "VALIDATION_FAILED",
                "secrets must be one or more whsec_<base64 of 16+ bytes>",
                errors=[field_error(f"secrets[{i}]", "NOT_A_SECRET", "whsec_<base64>") for i in bad],
            )
        subscription.secrets = list(secrets)

    def enable(self, subscription_id: str) -> None:
        self.get(subscription_id).status = "active"

    def wanting(self, event_type: EventType) -> list[Subscription]:
        return [s for s in self.by_id.values() if s.status == "active" and event_type in s.events]
