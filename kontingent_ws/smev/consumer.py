"""The consumer side: send requests (the region's change packets) and collect their answers.

A request is stored first (direction out, status sent) with its signed envelope, then sent;
until SMEV confirms it, a restart sends the same envelope again, and ``MessageIsAlreadySent``
means it had arrived. Answers are stored on their request (delivered, or failed on a
rejection) and only then acknowledged.

The region's change feed is pushed to the federal segment by :meth:`Consumer.publish_changes`,
one page in flight at a time (see :mod:`kontingent_ws.smev.changepush`).
"""

from __future__ import annotations

import logging
import threading
import uuid

from lxml import etree

from adapters.safexml import parse_bytes
from db.models import utcnow
from kontingent_ws.errors import SchemaError, SignatureError
from kontingent_ws.smev import envelopes, messages, store
from kontingent_ws.smev.changepush import KIND_CHANGES, push_state
from kontingent_ws.smev.client import SmevExchangeError
from kontingent_ws.smev.ids import new_message_id
from kontingent_ws.smev.participant import Participant, Poll, transient_failure
from kontingent_ws.usecases.changefeed import build_change_packet
from kontingent_ws.usecases.changefeed_packet import NAMESPACE as CHANGES_NS

log = logging.getLogger(__name__)
CHANGE_PAGE_SIZE = 500
"""Changes per pushed packet by default."""


class Consumer:
    """Sends this participant's requests and takes in the answers."""

    def __init__(self, participant: Participant, *, change_page_size: int = CHANGE_PAGE_SIZE):
        self.participant = participant
        self.change_page_size = change_page_size

    def run(self, *, once: bool = False, stop: threading.Event | None = None) -> int:
        """Send what is unconfirmed, take in answers, push the next page of changes, until stopped.

        ``once``: one round.

        A failure of SMEV or of the database is waited out with back-off. Returns 0, or 1 when
        ``once`` ends on such a failure.
        """
        part = self.participant
        failures = 0
        while stop is None or not stop.is_set():
            try:
                self.resume()
                self.collect()
                self.publish_changes(self.change_page_size)
            except Exception as error:
                reason = transient_failure(error)
                if reason is None:
                    raise
                failures += 1
                log.warning("SMEV consumer: %s", reason)
                if once:
                    return 1
                part.sleep(part.backoff.delay(failures, part.rng))
                continue
            failures = 0
            if once:
                return 0
            part.sleep(part.poll_seconds)
        return 0

    def send(self, content: etree._Element, *, kind: str) -> str:
        """Store and send one request carrying ``content``; return its MessageID."""
        part = self.participant
        message_id = new_message_id()
        envelope = envelopes.send_request(signer=part.signer, message_id=message_id, content=content)
        with part.sessions() as session:
            message = store.save_outgoing(
                session,
                message_id=message_id,
                kind=kind,
                root_element=str(content.tag),
                payload=envelope,
                request_id=uuid.uuid4().hex,
            )
            session.commit()
            pk = message.id
        part.checkpoint("after-store-out")
        self._deliver(pk, envelope)
        return message_id

    def publish_changes(self, limit: int) -> int:
        """Send the next page of the change feed (at most ``limit`` changes); return pages sent (0 or 1).

        The page starts after the last page the federal segment accepted. Nothing is sent while a
        page is in flight, while the back-off after a rejection lasts, or when there is no change.
        """
        part = self.participant
        with part.sessions() as session:
            state = push_state(session)
            if not state.due(part.backoff, utcnow()):
                return 0
            packet = parse_bytes(build_change_packet(session, state.since, limit))
        if packet.find(f"{{{CHANGES_NS}}}Change") is None:
            return 0
        message_id = self.send(packet, kind=KIND_CHANGES)
        log.info("SMEV consumer: changes after version %d sent as %s", state.since, message_id)
        return 1

    def resume(self) -> int:
        """Send again every stored request SMEV has not confirmed; return how many."""
        with self.participant.sessions() as session:
            stored = [store.get(session, pk) for pk in store.unconfirmed_outgoing(session)]
            pending = [(message.id, message.payload) for message in stored if message.error or not message.attempts]
        for pk, envelope in pending:
            self._deliver(pk, envelope)
        return len(pending)

    def _deliver(self, pk: int, envelope: bytes) -> None:
        status, error_text = None, None
        try:
            self.participant.call("SendRequest", lambda: envelope)
        except SmevExchangeError as error:
            if error.temporary:
                self._note(pk, None, f"{error.fault}: {error.message}")
                raise
            if error.fault == "MessageIsAlreadySent":
                log.info("SMEV consumer: request #%d had already arrived", pk)
            else:
                log.error("SMEV consumer: request #%d refused: %s", pk, error.fault)
                status, error_text = "failed", f"{error.fault}: {error.message}"
        self._note(pk, status, error_text)

    def _note(self, pk: int, status: str | None, error_text: str | None) -> None:
        with self.participant.sessions() as session:
            message = store.get(session, pk)
            message.attempts += 1
            message.error = error_text
            if status is not None:
                message.status = status
            session.commit()

    def poll_once(self) -> Poll:
        """One GetResponse: store the answer on its request, then Ack it."""
        part = self.participant
        reply = part.call("GetResponse", lambda: envelopes.get_response(signer=part.signer))
        try:
            response = messages.read_response(reply.body, trust=part.trust)
        except (SignatureError, SchemaError) as error:
            ack_id = messages.unverified_ack_id(reply.body)
            log.error("SMEV consumer: answer %s refused: %s", ack_id, error.message)
            if ack_id:
                part.acknowledge(ack_id, accepted=False)
            return Poll.REFUSED
        if response is None:
            return Poll.EMPTY
        outcome = Poll.ANSWERED
        with part.sessions() as session:
            request = store.find(session, store.OUT, response.original_message_id or "")
            if request is None:
                log.warning("SMEV consumer: answer %s to an unknown request", response.message_id)
            elif request.status != "sent":
                outcome = Poll.DUPLICATE
            else:
                request.answer = reply.raw
                if response.rejections:
                    request.status = "failed"
                    request.error = "; ".join(f"{item.code}: {item.description}" for item in response.rejections)
                else:
                    request.status = "delivered"
                    request.error = None
            session.commit()
        part.acknowledge(response.ack_id)
        return outcome

    def collect(self) -> int:
        """Take in answers until the queue is empty; return how many came."""
        count = 0
        while self.poll_once() is not Poll.EMPTY:
            count += 1
        return count
