"""Carrier tracking numbers and URLs, in each UK carrier's own shape, from a seeded generator."""

from __future__ import annotations

import random
from collections.abc import Callable

_S10_WEIGHTS = (8, 6, 4, 2, 3, 5, 9, 7)


def _royal_mail(rng: random.Random) -> str:
    """A UPU S10 number: two letters, eight digits, a check digit, GB."""
    digits = [rng.randrange(10) for _ in range(8)]
    check = 11 - sum(d * w for d, w in zip(digits, _S10_WEIGHTS, strict=True)) % 11
    check = {10: 0, 11: 5}.get(check, check)
    return "RM" + "".join(map(str, digits)) + str(check) + "GB"


def _digits(count: int, lead: str = "") -> Callable[[random.Random], str]:
    def make(rng: random.Random) -> str:
        return lead + "".join(str(rng.randrange(10)) for _ in range(count - len(lead)))

    return make


def _evri(rng: random.Random) -> str:
    alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ0123456789"
    return "H" + "".join(rng.choice(alphabet) for _ in range(15))


_FORMATS: dict[str, tuple[Callable[[random.Random], str], str]] = {
    "royal_mail": (_royal_mail, "https://www.royalmail.com/track-your-item#/tracking-results/{}"),
    "dpd": (_digits(14, "15"), "https://track.dpd.co.uk/parcels/{}"),
    "evri": (_evri, "https://www.evri.com/track/parcel/{}"),
    "dhl_parcel_uk": (_digits(10), "https://track.dhlparcel.co.uk/?con={}"),
}
_OTHER = (_digits(12, "9"), "https://tracking.scend.example/{}")


class TrackingNumbers:
    def __init__(self, rng: random.Random) -> None:
        self._rng = rng

    def new(self, carrier: str) -> tuple[str, str]:
        """(tracking number, tracking URL) for a parcel sent with `carrier`."""
        make, url = _FORMATS.get(carrier, _OTHER)
        number = make(self._rng)
        return number, url.format(number)

    @staticmethod
    def url(carrier: str, number: str) -> str:
        return _FORMATS.get(carrier, _OTHER)[1].format(number)
