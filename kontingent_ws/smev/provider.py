"""The provider loop: take requests from SMEV, store them, acknowledge, answer exactly once.

Order of durable steps for one request (each committed before the next begins):
store (received) → Ack → acknowledged → processing → the answer envelope is stored (with the
handler's own writes) → SendResponse → answered. A restart resumes every request left in
received/acknowledged/processing; the stored answer is re-sent unchanged, so SMEV answers a
repeat with ``MessageIsAlreadySent`` and nothing is answered twice.
"""

from __future__ import annotations

import logging
import threading
import uuid

from sqlalchemy.orm import Session

from kontingent_ws.errors import SchemaError, SignatureError
from kontingent_ws.smev import envelopes, messages, store
from kontingent_ws.smev.client import SmevExchangeError
from kontingent_ws.smev.envelopes import Rejection
from kontingent_ws.smev.handlers import HandlerOutcome, HandlerRegistry, RequestContext
from kontingent_ws.smev.ids import new_message_id
from kontingent_ws.smev.messages import IncomingRequest
from kontingent_ws.smev.participant import Participant, Poll, transient_failure

log = logging.getLogger(__name__)

FAILURE_TEXT = "Внутренняя ошибка при обработке запроса в ИС «Контингент-регион». Повторите запрос позже."


class Provider:
    """Answers the requests SMEV delivers to this participant."""

    def __init__(self, participant: Participant, registry: HandlerRegistry):
        self.participant = participant
        self.registry = registry

    def run(self, *, once: bool = False, stop: threading.Event | None = None) -> int:
        """Resume unfinished requests, then poll until stopped (``once``: until the queue is empty).

        A failure of SMEV or of the database is waited out with back-off, then every unfinished
        request is resumed. Returns 0, or 1 when ``once`` ends on such a failure.
        """
        part = self.participant
        failures = 0
        resumed = False
        while stop is None or not stop.is_set():
            try:
                if not resumed:
                    self.resume()
                    resumed = True
                outcome = self.poll_once()
            except Exception as error:
                reason = transient_failure(error)
                if reason is None:
                    raise
                failures += 1
                log.warning("SMEV provider: %s", reason)
                if once:
                    return 1
                part.sleep(part.backoff.delay(failures, part.rng))
                continue
            if failures:
                failures = 0
                resumed = False
            if outcome is Poll.EMPTY:
                if once:
                    return 0
                part.sleep(part.poll_seconds)
        return 0

    def resume(self) -> int:
        """Carry every stored, unfinished request to its answer; return how many there were."""
        with self.participant.sessions() as session:
            pending = store.unfinished_incoming(session)
        for pk in pending:
            self._advance(pk, None)
        return len(pending)

    def poll_once(self) -> Poll:
        """One GetRequest and whatever the delivered request needs."""
        part = self.participant
        reply = part.call("GetRequest", lambda: envelopes.get_request(signer=part.signer))
        try:
            request = messages.read_request(reply.body, trust=part.trust)
        except (SignatureError, SchemaError) as error:
            ack_id = messages.unverified_ack_id(reply.body)
            log.error("SMEV provider: request %s refused: %s", ack_id, error.message)
            if ack_id:
                part.acknowledge(ack_id, accepted=False)
            return Poll.REFUSED
        if request is None:
            return Poll.EMPTY
        with part.sessions() as session:
            message, created = store.save_incoming(
                session, request=request, payload=reply.raw, request_id=uuid.uuid4().hex
            )
            session.commit()
            pk, status = message.id, message.status
        part.checkpoint("after-store")
        if created:
            self._advance(pk, request)
            return Poll.ANSWERED
        log.info("SMEV provider: request %s delivered again (status %s)", request.message_id, status)
        if status != "received":
            part.acknowledge(request.ack_id)
        self._advance(pk, request)
        return Poll.DUPLICATE

    def _advance(self, pk: int, request: IncomingRequest | None) -> None:
        part = self.participant
        with part.sessions() as session:
            message = store.get(session, pk)
            status, answer = message.status, message.answer
            if request is None and status in store.UNFINISHED_IN:
                body, trust = part.stored_body(message.payload, message.created_at)
                request = messages.read_request(body, trust=trust)
        if request is None or status not in store.UNFINISHED_IN:
            return
        if status == "received":
            part.acknowledge(request.ack_id)
            self._move(pk, ("received",), "acknowledged")
            part.checkpoint("after-ack")
        if answer is None:
            self._move(pk, ("acknowledged", "processing"), "processing")
            answer = self._answer(pk, request)
            part.checkpoint("after-answer")
        self._send(pk, answer)

    def _move(self, pk: int, from_statuses: tuple[str, ...], to_status: str) -> None:
        with self.participant.sessions() as session:
            store.claim(session, pk, from_statuses=from_statuses, to_status=to_status)
            session.commit()

    def _answer(self, pk: int, request: IncomingRequest) -> bytes:
        """Run the handler and store the signed answer with the handler's writes, in one transaction."""
        part = self.participant
        with part.sessions() as session:
            message = store.get(session, pk)
            context = RequestContext(
                message_id=request.message_id,
                sender=request.sender,
                test_message=request.test_message,
                request_id=message.request_id or uuid.uuid4().hex,
            )
            try:
                outcome = self._handle(session, request, context)
            except Exception:
                log.exception("SMEV provider: handler failed on request %s", request.message_id)
                session.rollback()
                outcome = HandlerOutcome(rejection=Rejection(code="FAILURE", description=FAILURE_TEXT))
            answer = envelopes.send_response(
                signer=part.signer,
                message_id=new_message_id(),
                to=request.reply_to,
                content=outcome.content,
                rejection=outcome.rejection,
            )
            message = store.get(session, pk)
            message.answer = answer
            session.commit()
        return answer

    def _handle(self, session: Session, request: IncomingRequest, context: RequestContext) -> HandlerOutcome:
        handler = self.registry.find(request.content)
        if handler is None:
            return HandlerOutcome(
                rejection=Rejection(
                    code="UNKNOWN_REQUEST_DESCRIPTION",
                    description=f"Запросы вида {request.content.tag} ИС «Контингент-регион» не обслуживает",
                )
            )
        return handler(session, request.content, context)

    def _send(self, pk: int, answer: bytes) -> None:
        part = self.participant
        status, error_text = "answered", None
        try:
            part.call("SendResponse", lambda: answer)
        except SmevExchangeError as error:
            if error.temporary:
                self._note_attempt(pk, None, f"{error.fault}: {error.message}")
                raise
            if error.fault == "MessageIsAlreadySent":
                log.info("SMEV provider: the answer of message #%d was already sent", pk)
            else:
                log.error("SMEV provider: answer of message #%d refused: %s", pk, error.fault)
                status, error_text = "failed", f"{error.fault}: {error.message}"
        self._note_attempt(pk, status, error_text)

    def _note_attempt(self, pk: int, status: str | None, error_text: str | None) -> None:
        with self.participant.sessions() as session:
            message = store.get(session, pk)
            message.attempts += 1
            message.error = error_text
            if status is not None:
                message.status = status
            session.commit()
