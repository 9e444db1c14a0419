"""Reading a WS-Security UsernameToken from a SOAP envelope."""

from __future__ import annotations

import base64
import binascii
import datetime as dt
from dataclasses import dataclass

from lxml import etree

from kontingent_ws.errors import AuthenticationError

WSSE_NS = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd"
WSU_NS = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd"
SOAP11_NS = "http://schemas.xmlsoap.org/soap/envelope/"
TOKEN_PROFILE = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-username-token-profile-1.0"  # noqa: S105
PASSWORD_DIGEST = TOKEN_PROFILE + "#PasswordDigest"
PASSWORD_TEXT = TOKEN_PROFILE + "#PasswordText"


@dataclass(frozen=True, kw_only=True)
class UsernameToken:
    username: str
    password: str
    password_type: str
    """``PASSWORD_DIGEST`` or ``PASSWORD_TEXT``."""
    nonce: bytes | None
    created: str | None
    """Created exactly as sent (the digest covers these characters)."""
    created_at: dt.datetime | None


def security_header(envelope: etree._Element | None) -> etree._Element | None:
    if envelope is None:
        return None
    return envelope.find(f"{{{SOAP11_NS}}}Header/{{{WSSE_NS}}}Security")


def _parse_created(text: str) -> dt.datetime:
    try:
        value = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError as exc:
        raise AuthenticationError("Неверный формат метки времени Created в UsernameToken") from exc
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    return value


def read_username_token(security: etree._Element) -> UsernameToken | None:
    token = security.find(f"{{{WSSE_NS}}}UsernameToken")
    if token is None:
        return None
    username = (token.findtext(f"{{{WSSE_NS}}}Username") or "").strip()
    password_el = token.find(f"{{{WSSE_NS}}}Password")
    if not username or password_el is None:
        raise AuthenticationError("UsernameToken должен содержать имя пользователя и пароль")
    password_type = password_el.get("Type") or PASSWORD_TEXT
    if password_type not in (PASSWORD_DIGEST, PASSWORD_TEXT):
        raise AuthenticationError("Неподдерживаемый тип пароля в UsernameToken")
    nonce_text = token.findtext(f"{{{WSSE_NS}}}Nonce")
    nonce = None
    if nonce_text:
        try:
            nonce = base64.b64decode(nonce_text.strip(), validate=True)
        except (binascii.Error, ValueError) as exc:
            raise AuthenticationError("Nonce в UsernameToken должен быть в кодировке Base64") from exc
    created = token.findtext(f"{{{WSU_NS}}}Created")
    created = created.strip() if created else None
    return UsernameToken(
        username=username,
        password=password_el.text or "",
        password_type=password_type,
        nonce=nonce,
        created=created,
        created_at=_parse_created(created) if created else None,
    )
