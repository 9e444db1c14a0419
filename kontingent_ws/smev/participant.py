"""What the provider and the consumer share: the client, the keys, the database, the pacing."""

from __future__ import annotations

import enum
import logging
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime

from lxml import etree
from sqlalchemy.orm import Session, sessionmaker

from adapters.safexml import parse_bytes
from db.retry import is_unavailable
from kontingent_ws.smev import envelopes
from kontingent_ws.smev.backoff import Backoff, with_retries
from kontingent_ws.smev.client import SmevClient, SmevExchangeError, SoapReply
from kontingent_ws.smev.keys import SmevSigner
from kontingent_ws.smev.messages import body_of
from kontingent_ws.xmlsig.smev_signature import SmevTrust

log = logging.getLogger(__name__)


class Poll(enum.Enum):
    """What one GetRequest or GetResponse brought."""

    EMPTY = "empty"
    ANSWERED = "answered"
    DUPLICATE = "duplicate"
    REFUSED = "refused"


def transient_failure(error: BaseException) -> str | None:
    """Why a round failed when it is worth another try later (SMEV refused or unreachable, the
    database unavailable), for the log; ``None`` for anything else, which ends the loop."""
    if isinstance(error, SmevExchangeError):
        return f"{error.fault} ({error.message})"
    if is_unavailable(error):
        return f"database unavailable ({type(error).__name__})"
    return None


def no_checkpoint(point: str) -> None:
    """The default of ``Participant.checkpoint``: nothing happens between steps."""


@dataclass(frozen=True, kw_only=True)
class Participant:
    """One SMEV participant (this regional segment) and how it paces its calls."""

    client: SmevClient
    """Does the HTTP calls."""
    sessions: sessionmaker[Session]
    """Opens the database sessions; every state change is committed at once."""
    signer: SmevSigner
    """Signs every outgoing envelope."""
    trust: SmevTrust
    """Certificates believed in SMEV's and senders' signatures."""
    backoff: Backoff = field(default_factory=Backoff)
    """Waits after temporary failures."""
    poll_seconds: float = 5.0
    """Wait after an empty queue before polling again."""
    sleep: Callable[[float], object] = time.sleep
    """How to wait (an event's ``wait`` in the command, so a signal ends the wait)."""
    rng: random.Random = field(default_factory=random.Random)
    """Source of the back-off jitter."""
    checkpoint: Callable[[str], None] = no_checkpoint
    """Called with a step name after each durable step (``after-store``, ``after-ack`` …)."""

    def call(self, action: str, build: Callable[[], bytes]) -> SoapReply:
        """Call SMEV, repeating temporary failures with back-off; ``build`` makes each attempt's envelope."""
        return with_retries(
            lambda: self.client.call(f"urn:{action}", build()),
            backoff=self.backoff,
            sleep=self.sleep,
            rng=self.rng,
            what=action,
        )

    def acknowledge(self, ack_id: str, *, accepted: bool = True) -> None:
        """Ack a delivered message; one SMEV no longer holds counts as acknowledged."""
        try:
            self.call("Ack", lambda: envelopes.ack(signer=self.signer, message_id=ack_id, accepted=accepted))
        except SmevExchangeError as error:
            if error.fault != "TargetMessageIsNotFound":
                raise
            log.info("SMEV Ack %s: the message is no longer waiting for an Ack", ack_id)

    def stored_body(self, payload: bytes, received_at: datetime) -> tuple[etree._Element, SmevTrust]:
        """The body of a stored envelope and the trust to re-verify it as of its arrival."""
        moment = received_at if received_at.tzinfo else received_at.replace(tzinfo=UTC)
        return body_of(parse_bytes(payload)), replace(self.trust, at=moment)
