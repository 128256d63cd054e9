"""What kind of failure a vendor's documented error is, for the callers that must react to it.

Each API's error table (``edge/identify/<api>/errors.py``) gives every documented error a family;
the emulator answers from the same table and the client raises from it, so they cannot drift.
Only ``rate_limited`` and ``unavailable`` say the vendor cannot answer now (a failover or a
circuit breaker reacts); the others say the request itself was wrong.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import Generic, TypeVar

from edge.errors import BackendUnavailable, RemoteError


class Family(str, Enum):
    BAD_REQUEST = "bad_request"  # the request or its image cannot be used as sent
    NOT_FOUND = "not_found"  # an id, a path or a gallery that does not exist (or is empty)
    UNAUTHORIZED = "unauthorized"  # credentials, signature, permission
    RATE_LIMITED = "rate_limited"  # too many calls now, or a quota used up
    UNAVAILABLE = "unavailable"  # a fault of the service: try later or elsewhere

    @property
    def transient(self) -> bool:
        """True when the vendor, not the request, failed: retry later or fail over."""
        return self in (Family.RATE_LIMITED, Family.UNAVAILABLE)


E = TypeVar("E", bound=RemoteError)


@dataclass(frozen=True)
class Documented(Generic[E]):
    """One documented error: the client's typed error, its family, its HTTP status and when the
    API answers it (the emulator's rule)."""

    error: type[E]
    family: Family
    http_status: int
    condition: str


def family_of(error: RemoteError) -> Family:
    """The family of a vendor's error: its own (``family``, from its API's table), else
    ``unavailable`` for a :class:`BackendUnavailable` and ``bad_request`` for the rest."""
    family = getattr(error, "family", None)
    if isinstance(family, Family):
        return family
    return Family.UNAVAILABLE if isinstance(error, BackendUnavailable) else Family.BAD_REQUEST
