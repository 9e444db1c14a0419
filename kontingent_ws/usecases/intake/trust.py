"""Whose signature a packet may carry: a registered, valid, unrevoked certificate of its sender."""

from __future__ import annotations

from cryptography import x509
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from db.dates import as_utc
from db.models import InfoSystem, SystemCertificate, utcnow
from kontingent_ws.errors import SignatureError, ValidationError
from kontingent_ws.xmlsig.certs import fingerprint


class SenderTrust:
    """The trust check of a packet signature; remembers the provider system it accepted.

    ``system_id`` is the calling provider (its certificate only), or ``None`` when a system
    administrator loads a packet: then any active provider's certificate is accepted, and the
    packet is the accepted provider's.
    """

    def __init__(self, session: Session, *, system_id: int | None):
        self.session = session
        self.system_id = system_id
        self.system: InfoSystem | None = None

    def __call__(self, certificate: x509.Certificate) -> None:
        row = self.session.scalar(
            select(SystemCertificate).where(SystemCertificate.fingerprint_sha256 == fingerprint(certificate))
        )
        if row is None:
            raise SignatureError("Пакет подписан сертификатом, не зарегистрированным ни за одним поставщиком данных")
        if self.system_id is not None and row.system_id != self.system_id:
            raise SignatureError("Пакет подписан сертификатом другой информационной системы, а не отправителя")
        if row.revoked_at is not None:
            raise SignatureError("Сертификат подписи пакета отозван")
        now = utcnow()
        if not as_utc(row.not_before) <= now <= as_utc(row.not_after):
            raise SignatureError("Срок действия сертификата подписи пакета истёк или не наступил")
        system = self.session.get(InfoSystem, row.system_id)
        if system is None or not system.is_active or not system.is_provider:
            raise SignatureError("Информационная система, подписавшая пакет, не является действующим поставщиком")
        self.system = system

    def sender(self, provider: str) -> InfoSystem:
        """The accepted provider, provided the packet header names it."""
        if self.system is None:
            raise SignatureError("Подпись пакета не проверена")
        if provider != self.system.mnemonic:
            raise ValidationError(
                f"Пакет подготовлен от имени поставщика «{provider}», а подписан системой «{self.system.mnemonic}»",
                field="provider",
            )
        return self.system


UPLOAD_PROVIDER_NAME = "Загрузка файлов Excel сотрудниками"


def upload_provider(session: Session, mnemonic: str) -> InfoSystem:
    """The provider people's uploads are attributed to (its priority ranks them); registered on first use."""
    found = session.scalar(select(InfoSystem).where(InfoSystem.mnemonic == mnemonic))
    if found is not None:
        return found
    try:
        with session.begin_nested():
            system = InfoSystem(mnemonic=mnemonic, name=UPLOAD_PROVIDER_NAME, is_provider=True, is_consumer=False)
            session.add(system)
        return system
    except IntegrityError:  # registered by a concurrent upload
        return session.scalars(select(InfoSystem).where(InfoSystem.mnemonic == mnemonic)).one()
