"""A test double of SMEV 3 message exchange 1.1: a small WSGI endpoint on 127.0.0.1 in a thread.

It keeps its queues in memory (requests per recipient, responses per consumer), validates every
envelope it receives against the official 1.1 schemas read from ``../shared/reference/smev3/1.1/``,
checks every ``CallerInformationSystemSignature`` with ``verify_element``, and delivers messages
signed with its own certificate as SMEV does. A message stays at the head of its queue until it
is acknowledged, so a participant that dies before its Ack gets it again. Tests can make it
answer the next calls with a fault, or deliver an acknowledged request once more.
"""

from __future__ import annotations

import copy
import threading
import uuid
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from lxml import etree

from adapters.safexml import parse_bytes
from kontingent_ws.errors import SignatureError
from kontingent_ws.smev import envelopes
from kontingent_ws.smev.client import SOAP_NS
from kontingent_ws.smev.envelopes import BASIC_NS, FAULTS_NS, TYPES_NS, Rejection, basic, types
from kontingent_ws.smev.keys import SmevSigner
from kontingent_ws.xmlsig.dsig import DS_NS
from kontingent_ws.xmlsig.smev_signature import SmevTrust, verify_element

SCHEMAS_DIR = Path(__file__).resolve().parents[1].parent / "shared" / "reference" / "smev3" / "1.1"
SMEV_ID = "SIGNED_BY_SMEV"
_SIGNED_PART = {
    "GetRequestRequest": basic("MessageTypeSelector"),
    "GetResponseRequest": basic("MessageTypeSelector"),
    "AckRequest": basic("AckTargetMessage"),
    "SendRequestRequest": types("SenderProvidedRequestData"),
    "SendResponseRequest": types("SenderProvidedResponseData"),
}


class OfficialSchemas:
    """The message-exchange types and faults schemas, loaded from the reference files."""

    def __init__(self, folder: Path = SCHEMAS_DIR):
        parser = etree.XMLParser(no_network=True, resolve_entities=False)
        self.types = etree.XMLSchema(etree.parse(str(folder / "smev-message-exchange-types-1.1.xsd"), parser))
        self.faults = etree.XMLSchema(etree.parse(str(folder / "smev-message-exchange-faults-1.1.xsd"), parser))

    def envelope_errors(self, envelope: etree._Element) -> list[str]:
        """Why ``envelope`` is not a SOAP 1.1 envelope whose payload the 1.1 schemas accept."""
        if envelope.tag != f"{{{SOAP_NS}}}Envelope":
            return ["root is not soap:Envelope"]
        parts = [child for child in envelope if isinstance(child.tag, str)]
        if [child.tag for child in parts] not in (
            [f"{{{SOAP_NS}}}Body"],
            [f"{{{SOAP_NS}}}Header", f"{{{SOAP_NS}}}Body"],
        ):
            return ["soap:Envelope must hold an optional soap:Header and one soap:Body"]
        payload = [child for child in parts[-1] if isinstance(child.tag, str)]
        if len(payload) != 1:
            return ["soap:Body must hold exactly one element"]
        element = payload[0]
        if element.tag == f"{{{SOAP_NS}}}Fault":
            detail = [child for child in element.find("detail") or [] if isinstance(child.tag, str)]
            return [error for child in detail for error in self._errors(self.faults, child)]
        return self._errors(self.types, element)

    @staticmethod
    def _errors(schema: etree.XMLSchema, element: etree._Element) -> list[str]:
        standalone = etree.ElementTree(copy.deepcopy(element))
        if schema.validate(standalone):
            return []
        return [f"{error.line}: {error.message}" for error in schema.error_log]


@dataclass(frozen=True, kw_only=True)
class Member:
    """A participant registered in the double."""

    mnemonic: str
    name: str
    certificate_der: bytes


@dataclass(kw_only=True)
class Queued:
    """A message waiting in a queue until acknowledged."""

    smev_id: str
    message: etree._Element
    """The ``Request`` or ``Response`` element as delivered (before the SMEV signature)."""
    deliveries: int = 0


@dataclass(kw_only=True)
class Received:
    """One call the double took: who made it, the operation, the envelope as sent."""

    caller: str | None
    operation: str
    envelope: bytes


@dataclass(kw_only=True)
class _State:
    requests: dict[str, list[Queued]] = field(default_factory=dict)
    responses: dict[str, list[Queued]] = field(default_factory=dict)
    reply_to: dict[str, tuple[str, str]] = field(default_factory=dict)
    """ReplyTo token → (MessageID of the request, mnemonic of its sender)."""
    message_ids: set[str] = field(default_factory=set)
    received: list[Received] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    faults: list[str] = field(default_factory=list)
    duplicate_next_ack: bool = False


class SmevFault(Exception):
    def __init__(self, name: str, message: str, *, client: bool = False, extra: Iterable[etree._Element] = ()):
        super().__init__(message)
        self.name = name
        self.message = message
        self.client = client
        self.extra = list(extra)


class SmevDouble:
    """The endpoint; use as a context manager, its ``url`` is the participant's ``smev_endpoint``."""

    def __init__(self, *, signer: SmevSigner, members: Iterable[Member], schemas: OfficialSchemas | None = None):
        self.signer = signer
        self.members = {member.certificate_der: member for member in members}
        self.schemas = schemas or OfficialSchemas()
        self.routes: dict[str, str] = {}
        self.state = _State()
        self.lock = threading.Lock()
        self.server: WSGIServer | None = None
        self.thread: threading.Thread | None = None

    # -- life cycle -------------------------------------------------------------------------------

    def __enter__(self) -> SmevDouble:
        self.server = make_server("127.0.0.1", 0, self.app, handler_class=_QuietHandler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        assert self.server is not None and self.thread is not None
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)

    @property
    def url(self) -> str:
        assert self.server is not None
        return f"http://127.0.0.1:{self.server.server_port}/smev/1.1"

    # -- what tests do ----------------------------------------------------------------------------

    def route(self, root: etree.QName, recipient: str) -> None:
        """Deliver requests whose business document is ``root`` to ``recipient``."""
        self.routes[root.text] = recipient

    def enqueue_request(self, *, sender: SmevSigner, content: etree._Element) -> str:
        """``sender`` sends a request (through this double's own SendRequest); return its MessageID."""
        message_id = str(uuid.uuid1())
        envelope = envelopes.send_request(signer=sender, message_id=message_id, content=content)
        status, reply = self.handle(envelope)
        assert status == 200, reply
        return message_id

    def answer_next_request(
        self, *, recipient: SmevSigner, content: etree._Element | None = None, rejection: Rejection | None = None
    ) -> str:
        """The system ``recipient`` takes its next request and answers it; return the answer's MessageID."""
        with self.lock:
            mnemonic = self._member(recipient.certificate_der).mnemonic
            queued = self.state.requests[mnemonic].pop(0)
        reply_to = queued.message.findtext(types("ReplyTo")) or ""
        message_id = str(uuid.uuid1())
        envelope = envelopes.send_response(
            signer=recipient, message_id=message_id, to=reply_to, content=content, rejection=rejection
        )
        status, reply = self.handle(envelope)
        assert status == 200, reply
        return message_id

    def fail_next(self, count: int, fault: str = "SMEVFailure") -> None:
        """Answer the next ``count`` calls, whatever they are, with the fault ``fault``."""
        with self.lock:
            self.state.faults.extend([fault] * count)

    def duplicate_next_ack(self) -> None:
        """After the next acknowledged request, deliver that request once more."""
        with self.lock:
            self.state.duplicate_next_ack = True

    def calls(self, operation: str) -> list[Received]:
        """The calls of ``operation`` (``SendResponseRequest`` …) received so far."""
        with self.lock:
            return [call for call in self.state.received if call.operation == operation]

    def waiting(self, mnemonic: str) -> int:
        """Messages not yet acknowledged in ``mnemonic``'s queues."""
        with self.lock:
            return len(self.state.requests.get(mnemonic, [])) + len(self.state.responses.get(mnemonic, []))

    def responses_to(self, message_id: str) -> list[etree._Element]:
        """``SenderProvidedResponseData`` of every answer SMEV took for the request ``message_id``."""
        found = []
        for call in self.calls("SendResponseRequest"):
            data = parse_bytes(call.envelope).find(f".//{types('SenderProvidedResponseData')}")
            assert data is not None
            if self.state.reply_to.get(data.findtext(types("To")) or "", ("", ""))[0] == message_id:
                found.append(data)
        return found

    @property
    def problems(self) -> list[str]:
        """Schema and signature failures of the envelopes received (empty when all was well)."""
        with self.lock:
            return list(self.state.problems)

    # -- the endpoint -----------------------------------------------------------------------------

    def app(self, environ: dict[str, Any], start_response: Any) -> Iterator[bytes]:
        length = int(environ.get("CONTENT_LENGTH") or 0)
        status, body = self.handle(environ["wsgi.input"].read(length))
        start_response(
            "200 OK" if status == 200 else "500 Internal Server Error",
            [("Content-Type", "text/xml; charset=utf-8"), ("Content-Length", str(len(body)))],
        )
        return iter([body])

    def handle(self, data: bytes) -> tuple[int, bytes]:
        with self.lock:
            try:
                return 200, self._dispatch(data)
            except SmevFault as fault:
                return 500, self._fault_envelope(fault)

    def _dispatch(self, data: bytes) -> bytes:
        envelope = parse_bytes(data)
        errors = self.schemas.envelope_errors(envelope)
        operation = etree.QName(envelope[-1][0]).localname if errors == [] else "?"
        self.state.received.append(Received(caller=None, operation=operation, envelope=data))
        if errors:
            self.state.problems.extend(errors)
            position = etree.Element(f"{{{FAULTS_NS}}}ValidationError", errorPosition="0")
            position.text = errors[0]
            raise SmevFault("InvalidContent", "Конверт не соответствует схеме СМЭВ 1.1", client=True, extra=[position])
        request = envelope[-1][0]
        caller = self._verify_caller(request, operation)
        self.state.received[-1].caller = caller.mnemonic
        if self.state.faults:
            raise SmevFault(self.state.faults.pop(0), "Сбой инфраструктуры СМЭВ (тестовый)")
        handler = {
            "GetRequestRequest": self._get_request,
            "GetResponseRequest": self._get_response,
            "AckRequest": self._ack,
            "SendRequestRequest": self._send_request,
            "SendResponseRequest": self._send_response,
        }[operation]
        reply = handler(request, caller)
        reply_errors = self.schemas.envelope_errors(parse_bytes(reply))
        assert reply_errors == [], reply_errors
        return reply

    def _member(self, certificate_der: bytes) -> Member:
        member = self.members.get(certificate_der)
        if member is None:
            raise SmevFault("SenderIsNotRegistered", "Отправитель не зарегистрирован в СМЭВ", client=True)
        return member

    def _verify_caller(self, request: etree._Element, operation: str) -> Member:
        signed = request.find(_SIGNED_PART[operation])
        signature = request.find(f"{types('CallerInformationSystemSignature')}/{{{DS_NS}}}Signature")
        if signed is None or signature is None:
            self.state.problems.append(f"{operation}: no CallerInformationSystemSignature")
            raise SmevFault("SignatureVerificationFault", "ЭП-ОВ не найдена", client=True)
        trust = SmevTrust(certificates=frozenset(self.members))
        try:
            result = verify_element(signed, signature, trust=trust)
        except SignatureError as error:
            self.state.problems.append(f"{operation}: {error.message}")
            reason = etree.Element(f"{{{FAULTS_NS}}}SignatureVerificationFault")
            reason.text = "SignatureIsInvalid"
            raise SmevFault("SignatureVerificationFault", error.message, client=True, extra=[reason]) from None
        return self._member(result.certificate_der)

    def _metadata(self, message_id: str, kind: str, sender: Member, recipient: str | None) -> etree._Element:
        metadata = etree.Element(types("MessageMetadata"))
        etree.SubElement(metadata, types("MessageId")).text = message_id
        etree.SubElement(metadata, types("MessageType")).text = kind
        sender_element = etree.SubElement(metadata, types("Sender"))
        etree.SubElement(sender_element, types("Mnemonic")).text = sender.mnemonic
        etree.SubElement(sender_element, types("HumanReadableName")).text = sender.name
        etree.SubElement(metadata, types("SendingTimestamp")).text = envelopes.timestamp()
        etree.SubElement(metadata, types("DestinationName")).text = recipient or "unknown"
        supplementary = etree.SubElement(metadata, types("SupplementaryData"))
        etree.SubElement(supplementary, types("InteractionType")).text = "PGU2OIV"
        return metadata

    def _reply(self, operation: str) -> tuple[etree._Element, etree._Element]:
        envelope = etree.Element(f"{{{SOAP_NS}}}Envelope", nsmap={"soap": SOAP_NS, "ns": TYPES_NS, "ns2": BASIC_NS})
        body = etree.SubElement(envelope, f"{{{SOAP_NS}}}Body")
        return envelope, etree.SubElement(body, types(operation))

    def _deliver(self, operation: str, holder_name: str, queue: list[Queued]) -> bytes:
        envelope, reply = self._reply(operation)
        if queue:
            queued = queue[0]
            queued.deliveries += 1
            holder = etree.SubElement(reply, types(holder_name))
            message = copy.deepcopy(queued.message)
            holder.append(message)
            etree.SubElement(holder, types("SMEVSignature")).append(self.signer.sign(message))
        return etree.tostring(envelope, xml_declaration=True, encoding="UTF-8")

    def _get_request(self, request: etree._Element, caller: Member) -> bytes:
        return self._deliver(
            "GetRequestResponse", "RequestMessage", self.state.requests.setdefault(caller.mnemonic, [])
        )

    def _get_response(self, request: etree._Element, caller: Member) -> bytes:
        return self._deliver(
            "GetResponseResponse", "ResponseMessage", self.state.responses.setdefault(caller.mnemonic, [])
        )

    def _ack(self, request: etree._Element, caller: Member) -> bytes:
        target = request.findtext(basic("AckTargetMessage"))
        for queue in (self.state.requests.get(caller.mnemonic, []), self.state.responses.get(caller.mnemonic, [])):
            for queued in queue:
                if queued.smev_id == target:
                    queue.remove(queued)
                    if self.state.duplicate_next_ack and queued.message.tag == types("Request"):
                        self.state.duplicate_next_ack = False
                        queue.append(queued)
                    envelope, _reply = self._reply("AckResponse")
                    return etree.tostring(envelope, xml_declaration=True, encoding="UTF-8")
        raise SmevFault("TargetMessageIsNotFound", "Неподтверждённое сообщение с таким ID не найдено", client=True)

    def _taken(self, operation: str, data: etree._Element, caller: Member, kind: str) -> tuple[str, bytes]:
        message_id = data.findtext(types("MessageID")) or ""
        if message_id in self.state.message_ids:
            raise SmevFault("MessageIsAlreadySent", "Сообщение с таким MessageID уже было отправлено", client=True)
        self.state.message_ids.add(message_id)
        envelope, reply = self._reply(operation)
        metadata = self._metadata(message_id, kind, caller, None)
        metadata.set("Id", SMEV_ID)
        reply.append(metadata)
        etree.SubElement(reply, types("SMEVSignature")).append(self.signer.sign(metadata))
        return message_id, etree.tostring(envelope, xml_declaration=True, encoding="UTF-8")

    def _send_request(self, request: etree._Element, caller: Member) -> bytes:
        data = request.find(types("SenderProvidedRequestData"))
        assert data is not None
        content = data.find(f"{basic('MessagePrimaryContent')}/*")
        assert content is not None
        recipient = self.routes.get(str(content.tag))
        if recipient is None:
            raise SmevFault("RecipientIsNotFound", f"Нет получателя запросов {content.tag}", client=True)
        message_id, reply = self._taken("SendRequestResponse", data, caller, "REQUEST")
        token = f"reply-to:{uuid.uuid4()}"
        self.state.reply_to[token] = (message_id, caller.mnemonic)
        message = etree.Element(types("Request"), Id=SMEV_ID)
        message.append(copy.deepcopy(data))
        message.append(self._metadata(message_id, "REQUEST", caller, recipient))
        etree.SubElement(message, types("ReplyTo")).text = token
        sender_signature = request.find(types("CallerInformationSystemSignature"))
        assert sender_signature is not None
        etree.SubElement(message, types("SenderInformationSystemSignature")).extend(copy.deepcopy(sender_signature))
        self.state.requests.setdefault(recipient, []).append(Queued(smev_id=message_id, message=message))
        return reply

    def _send_response(self, request: etree._Element, caller: Member) -> bytes:
        data = request.find(types("SenderProvidedResponseData"))
        assert data is not None
        route = self.state.reply_to.get(data.findtext(types("To")) or "")
        if route is None:
            raise SmevFault("RecipientIsNotFound", "Адрес To не соответствует ни одному запросу", client=True)
        message_id, reply = self._taken("SendResponseResponse", data, caller, "RESPONSE")
        original_id, consumer = route
        message = etree.Element(types("Response"), Id=SMEV_ID)
        etree.SubElement(message, types("OriginalMessageId")).text = original_id
        message.append(copy.deepcopy(data))
        message.append(self._metadata(message_id, "RESPONSE", caller, consumer))
        sender_signature = request.find(types("CallerInformationSystemSignature"))
        assert sender_signature is not None
        etree.SubElement(message, types("SenderInformationSystemSignature")).extend(copy.deepcopy(sender_signature))
        self.state.responses.setdefault(consumer, []).append(Queued(smev_id=message_id, message=message))
        return reply

    def _fault_envelope(self, fault: SmevFault) -> bytes:
        envelope = etree.Element(f"{{{SOAP_NS}}}Envelope", nsmap={"soap": SOAP_NS})
        body = etree.SubElement(envelope, f"{{{SOAP_NS}}}Body")
        soap_fault = etree.SubElement(body, f"{{{SOAP_NS}}}Fault")
        etree.SubElement(soap_fault, "faultcode").text = "soap:Client" if fault.client else "soap:Server"
        etree.SubElement(soap_fault, "faultstring").text = fault.message
        detail = etree.SubElement(soap_fault, "detail")
        etree.SubElement(detail, f"{{{FAULTS_NS}}}{fault.name}", nsmap={"fault": FAULTS_NS}).extend(fault.extra)
        return etree.tostring(envelope, xml_declaration=True, encoding="UTF-8")


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


def gost_signer(common_name: str) -> SmevSigner:
    """A fresh GOST 2012-256 key and certificate (``tests.gostpki``) as a signer."""
    from kontingent_ws.xmlsig.smev_signature import GOST2012_256
    from tests.gostpki import make_gost_identity

    identity = make_gost_identity(common_name)
    return SmevSigner(profile=GOST2012_256, private_key=identity.private_key, certificate_der=identity.certificate_der)


def rsa_signer(common_name: str) -> SmevSigner:
    """A fresh RSA 2048 key and self-signed certificate (``tests.pki``) as a signer."""
    from cryptography.hazmat.primitives import serialization

    from kontingent_ws.xmlsig.smev_signature import RSA_SHA256
    from tests.pki import make_rsa_identity

    identity = make_rsa_identity(common_name)
    return SmevSigner(
        profile=RSA_SHA256,
        private_key=identity.key,
        certificate_der=identity.cert.public_bytes(serialization.Encoding.DER),
    )


def federal_signers() -> dict[str, SmevSigner]:
    """RSA signers of the double (``SMEV``), the region (``KONTINGENT``) and the federal segment (``FEDERAL``)."""
    return {name: rsa_signer(name) for name in ("SMEV", "KONTINGENT", "FEDERAL")}


@contextmanager
def federal_double(signers: dict[str, SmevSigner], routed: etree.QName) -> Iterator[SmevDouble]:
    """A running double with the region and the federal segment as members; requests whose payload
    root is ``routed`` go to the federal segment."""
    members = [
        Member(mnemonic=name, name=f"ИС {name}", certificate_der=signers[name].certificate_der)
        for name in ("KONTINGENT", "FEDERAL")
    ]
    with SmevDouble(signer=signers["SMEV"], members=members) as running:
        running.route(routed, "FEDERAL")
        yield running
