"""Allowed algorithm profiles for xmlsec-based (RSA) XML signatures.

A profile pins the canonicalization, signature and digest algorithms of a signature. Verification
accepts exactly the algorithms of an allowed profile and refuses everything else with a
``SignatureError`` naming the algorithm; SHA-1 in any role gets its own, explicit refusal.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import NoReturn

from kontingent_ws.errors import SignatureError

DSIG_NS = "http://www.w3.org/2000/09/xmldsig#"
EXC_C14N = "http://www.w3.org/2001/10/xml-exc-c14n#"
ENVELOPED_SIGNATURE = "http://www.w3.org/2000/09/xmldsig#enveloped-signature"
RSA_SHA256_URI = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"
SHA256_URI = "http://www.w3.org/2001/04/xmlenc#sha256"

SHA1_ALGORITHMS = frozenset(
    {
        "http://www.w3.org/2000/09/xmldsig#sha1",
        "http://www.w3.org/2000/09/xmldsig#rsa-sha1",
        "http://www.w3.org/2000/09/xmldsig#dsa-sha1",
        "http://www.w3.org/2000/09/xmldsig#hmac-sha1",
        "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha1",
    }
)
"""Every SHA-1 based algorithm URI; refused with a message that says why."""


@dataclass(frozen=True, kw_only=True)
class AlgorithmProfile:
    """One allowed combination of algorithms (all values are algorithm URIs)."""

    name: str
    """Short human name used in messages, e.g. ``RSA-SHA256``."""
    canonicalization: str
    """``ds:CanonicalizationMethod`` of ``ds:SignedInfo``."""
    signature_method: str
    """``ds:SignatureMethod``."""
    digest_method: str
    """``ds:DigestMethod`` of every ``ds:Reference``."""


RSA_SHA256 = AlgorithmProfile(
    name="RSA-SHA256",
    canonicalization=EXC_C14N,
    signature_method=RSA_SHA256_URI,
    digest_method=SHA256_URI,
)

ALLOWED_PROFILES: tuple[AlgorithmProfile, ...] = (RSA_SHA256,)
"""The allow-list for xmlsec-based signatures."""


def refuse_algorithm(role: str, actual: str | None, expected: str) -> NoReturn:
    """Raise the refusal of ``actual`` in ``role`` (a Russian name of the place); SHA-1 says so."""
    if actual in SHA1_ALGORITHMS:
        raise SignatureError(f"Алгоритм SHA-1 «{actual}» ({role}) запрещён как нестойкий; требуется «{expected}»")
    shown = actual if actual else "не указан"
    raise SignatureError(f"Алгоритм «{shown}» ({role}) не входит в список разрешённых; требуется «{expected}»")


def require_algorithm(role: str, actual: str | None, expected: str) -> None:
    """Refuse ``actual`` unless it is exactly ``expected``."""
    if actual != expected:
        refuse_algorithm(role, actual, expected)


def require_transforms(actual: Sequence[str], expected: Sequence[str]) -> None:
    """Refuse a ``ds:Transforms`` list that is not exactly ``expected`` (in order)."""
    wanted = ", ".join(expected) or "без преобразований"
    for uri in actual:
        if uri not in expected:
            refuse_algorithm("преобразование ds:Transform", uri, wanted)
    if tuple(actual) != tuple(expected):
        listed = ", ".join(actual) or "нет"
        raise SignatureError(f"Недопустимый набор преобразований ссылки подписи ({listed}); требуется: {wanted}")


def profile_for(signature_method: str | None) -> AlgorithmProfile:
    """The allowed profile with this ``ds:SignatureMethod``; refuse anything else."""
    for profile in ALLOWED_PROFILES:
        if profile.signature_method == signature_method:
            return profile
    allowed = ", ".join(profile.signature_method for profile in ALLOWED_PROFILES)
    refuse_algorithm("метод подписи ds:SignatureMethod", signature_method, allowed)
