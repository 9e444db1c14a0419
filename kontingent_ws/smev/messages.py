"""Read what SMEV delivers (GetRequestResponse, GetResponseResponse) after checking its signatures.

``SMEVSignature`` (over ``Request``/``Response``) must be valid and made with a trusted
certificate; a sender's ``SenderInformationSystemSignature``, when present, too. Everything
returned is read from the copy the verifier hands back, never from the document as received.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass

from lxml import etree

from kontingent_ws.errors import SchemaError
from kontingent_ws.smev.client import SOAP_NS
from kontingent_ws.smev.envelopes import Rejection, basic, types
from kontingent_ws.xmlsig.dsig import DS_NS
from kontingent_ws.xmlsig.smev_signature import SmevTrust, verify_element


@dataclass(frozen=True, kw_only=True)
class IncomingRequest:
    """A request taken from the participant's queue, verified."""

    message_id: str
    """The sender's MessageID (``SenderProvidedRequestData/MessageID``): the key of duplicates."""
    ack_id: str
    """What Ack names: ``MessageMetadata/MessageId`` (SMEV's id of the message), else ``message_id``."""
    reply_to: str
    """Copied into the answer's ``To``."""
    reference_message_id: str | None
    transaction_code: str | None
    sender: str | None
    """The sender's mnemonic as SMEV routed it."""
    test_message: bool
    """A test request: the provider must not change its data."""
    content: etree._Element
    """The business document (root of MessagePrimaryContent), a standalone copy."""


@dataclass(frozen=True, kw_only=True)
class IncomingResponse:
    """An answer to one of the participant's own requests, verified."""

    message_id: str
    """The responder's MessageID."""
    ack_id: str
    original_message_id: str | None
    """MessageID of the request this answers."""
    content: etree._Element | None
    """The business document, or ``None`` when the request was rejected."""
    rejections: tuple[Rejection, ...]


def _one(parent: etree._Element, tag: str) -> etree._Element:
    found = parent.find(tag)
    if found is None:
        raise SchemaError(f"В сообщении СМЭВ нет элемента {etree.QName(tag).localname}")
    return found


def _text(parent: etree._Element, tag: str) -> str | None:
    value = parent.findtext(tag)
    return value.strip() if value and value.strip() else None


def _signature(holder: etree._Element | None) -> etree._Element | None:
    return None if holder is None else holder.find(f"{{{DS_NS}}}Signature")


def _verified(element: etree._Element, holder: etree._Element | None, trust: SmevTrust) -> etree._Element:
    signature = _signature(holder)
    if signature is None:
        raise SchemaError(f"Элемент {etree.QName(element).localname} не подписан СМЭВ")
    return verify_element(element, signature, trust=trust).signed_element


def _check_sender(signed: etree._Element, data_tag: str, trust: SmevTrust) -> None:
    sender_signature = _signature(signed.find(types("SenderInformationSystemSignature")))
    if sender_signature is not None:
        verify_element(_one(signed, data_tag), sender_signature, trust=trust)


def _primary_content(data: etree._Element) -> etree._Element | None:
    holder = data.find(basic("MessagePrimaryContent"))
    if holder is None:
        return None
    children = [child for child in holder if isinstance(child.tag, str)]
    if len(children) != 1:
        raise SchemaError("MessagePrimaryContent должен содержать ровно один элемент")
    return copy.deepcopy(children[0])


def body_of(envelope: etree._Element) -> etree._Element:
    """The one element under ``soap:Body`` of a stored envelope."""
    children = [child for child in _one(envelope, f"{{{SOAP_NS}}}Body") if isinstance(child.tag, str)]
    if len(children) != 1:
        raise SchemaError("soap:Body должен содержать ровно один элемент")
    return children[0]


def unverified_ack_id(body: etree._Element) -> str | None:
    """The id to name in a refusing Ack (``accepted=false``) when a message fails verification."""
    for tag in (f"*/{types('Request')}", f"*/{types('Response')}"):
        message = body.find(tag)
        if message is not None:
            return _text(message, f"{types('MessageMetadata')}/{types('MessageId')}") or _text(
                message, f"*/{types('MessageID')}"
            )
    return None


def read_request(body: etree._Element, *, trust: SmevTrust) -> IncomingRequest | None:
    """The request in a GetRequestResponse, or ``None`` when the queue was empty.

    Raises ``SignatureError`` or ``SchemaError`` when the message cannot be believed.
    """
    if body.tag != types("GetRequestResponse"):
        raise SchemaError("Ожидался ответ GetRequestResponse")
    message = body.find(types("RequestMessage"))
    if message is None:
        return None
    if message.find(types("Request")) is None:
        raise SchemaError("Поддерживаются только запросы (отмена запроса не поддерживается)")
    signed = _verified(_one(message, types("Request")), message.find(types("SMEVSignature")), trust)
    _check_sender(signed, types("SenderProvidedRequestData"), trust)
    data = _one(signed, types("SenderProvidedRequestData"))
    message_id = _text(data, types("MessageID"))
    reply_to = _text(signed, types("ReplyTo"))
    content = _primary_content(data)
    if not message_id or not reply_to or content is None:
        raise SchemaError("В запросе СМЭВ нет MessageID, ReplyTo или MessagePrimaryContent")
    metadata = _one(signed, types("MessageMetadata"))
    return IncomingRequest(
        message_id=message_id,
        ack_id=_text(metadata, types("MessageId")) or message_id,
        reply_to=reply_to,
        reference_message_id=_text(data, types("ReferenceMessageID")),
        transaction_code=_text(data, types("TransactionCode")),
        sender=_text(metadata, f"{types('Sender')}/{types('Mnemonic')}"),
        test_message=data.find(types("TestMessage")) is not None,
        content=content,
    )


def read_response(body: etree._Element, *, trust: SmevTrust) -> IncomingResponse | None:
    """The answer in a GetResponseResponse, or ``None`` when the queue was empty."""
    if body.tag != types("GetResponseResponse"):
        raise SchemaError("Ожидался ответ GetResponseResponse")
    message = body.find(types("ResponseMessage"))
    if message is None:
        return None
    signed = _verified(_one(message, types("Response")), message.find(types("SMEVSignature")), trust)
    _check_sender(signed, types("SenderProvidedResponseData"), trust)
    data = _one(signed, types("SenderProvidedResponseData"))
    message_id = _text(data, types("MessageID"))
    if not message_id:
        raise SchemaError("В ответе СМЭВ нет MessageID")
    rejections = tuple(
        Rejection(
            code=_text(rejected, types("RejectionReasonCode")) or "FAILURE",
            description=_text(rejected, types("RejectionReasonDescription")) or "",
        )
        for rejected in data.findall(types("RequestRejected"))
    )
    content = _primary_content(data)
    if content is None and not rejections:
        raise SchemaError("Ответ СМЭВ не содержит ни данных, ни отказа")
    return IncomingResponse(
        message_id=message_id,
        ack_id=_text(signed, f"{types('MessageMetadata')}/{types('MessageId')}") or message_id,
        original_message_id=_text(signed, types("OriginalMessageId")),
        content=content,
        rejections=rejections,
    )
