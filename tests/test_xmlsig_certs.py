"""Certificates: loading PEM/DER/base64, fingerprints, descriptions, validity, key pairs."""

from __future__ import annotations

import base64
import datetime as dt

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from kontingent_ws.errors import SignatureError
from kontingent_ws.xmlsig.certs import (
    check_validity,
    describe,
    fingerprint,
    load_certificate,
    load_certificate_base64,
    load_signing_pair,
    rsa_public_key,
)
from tests.pki import RsaIdentity, make_rsa_identity, make_test_ca

NOW = dt.datetime.now(dt.UTC)


@pytest.fixture(scope="module")
def identity() -> RsaIdentity:
    return make_rsa_identity("Школа № 1")


def test_pem_and_der_load_to_the_same_certificate(identity: RsaIdentity) -> None:
    der = identity.cert.public_bytes(serialization.Encoding.DER)
    assert load_certificate(identity.cert_pem) == identity.cert
    assert load_certificate(der) == identity.cert
    assert load_certificate_base64(base64.encodebytes(der).decode()) == identity.cert


@pytest.mark.parametrize(
    "data", [b"", b"not a certificate", b"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"]
)
def test_garbage_is_not_a_certificate(data: bytes) -> None:
    with pytest.raises(SignatureError) as caught:
        load_certificate(data)
    assert "сертификат" in caught.value.message


@pytest.mark.parametrize("text", [None, "   ", "не base64!"])
def test_bad_base64_certificate_is_refused(text: str | None) -> None:
    with pytest.raises(SignatureError) as caught:
        load_certificate_base64(text)
    assert caught.value.message


def test_fingerprint_is_sha256_hex_of_der(identity: RsaIdentity) -> None:
    assert fingerprint(identity.cert) == identity.fingerprint
    assert len(identity.fingerprint) == 64
    assert identity.fingerprint == identity.fingerprint.lower()


def test_describe_reads_subject_issuer_serial_and_validity() -> None:
    ca = make_test_ca("Тестовый УЦ региона")
    start = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)
    end = dt.datetime(2030, 1, 1, tzinfo=dt.UTC)
    leaf = make_rsa_identity("Гимназия № 5", not_before=start, not_after=end, issuer=ca)
    info = describe(leaf.cert)
    assert info.common_name == "Гимназия № 5"
    assert "CN=Гимназия № 5" in info.subject
    assert "CN=Тестовый УЦ региона" in info.issuer
    assert info.serial_number == leaf.cert.serial_number
    assert (info.not_before, info.not_after) == (start, end)
    assert info.fingerprint == leaf.fingerprint


def test_validity_accepts_a_moment_inside_the_period(identity: RsaIdentity) -> None:
    check_validity(identity.cert, NOW)


def test_validity_refuses_a_certificate_not_yet_valid() -> None:
    future = make_rsa_identity("Будущий", not_before=NOW + dt.timedelta(days=10))
    with pytest.raises(SignatureError) as caught:
        check_validity(future.cert, NOW)
    assert "ещё не действует" in caught.value.message


def test_validity_refuses_an_expired_certificate() -> None:
    expired = make_rsa_identity(
        "Просроченный", not_before=NOW - dt.timedelta(days=30), not_after=NOW - dt.timedelta(days=1)
    )
    with pytest.raises(SignatureError) as caught:
        check_validity(expired.cert, NOW)
    assert "истёк" in caught.value.message


def test_validity_needs_an_aware_moment(identity: RsaIdentity) -> None:
    with pytest.raises(ValueError):
        check_validity(identity.cert, dt.datetime(2025, 1, 1))


def test_signing_pair_refuses_a_key_of_another_certificate(identity: RsaIdentity) -> None:
    other = make_rsa_identity("Чужой")
    assert load_signing_pair(identity.key_pem, identity.cert_pem).certificate == identity.cert
    with pytest.raises(SignatureError) as caught:
        load_signing_pair(other.key_pem, identity.cert_pem)
    assert "не соответствует" in caught.value.message


def test_a_non_rsa_certificate_is_refused_for_the_rsa_profile() -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "EC")])
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(1)
        .not_valid_before(NOW - dt.timedelta(days=1))
        .not_valid_after(NOW + dt.timedelta(days=1))
        .sign(key, hashes.SHA256())
    )
    with pytest.raises(SignatureError) as caught:
        rsa_public_key(cert)
    assert "RSA" in caught.value.message
