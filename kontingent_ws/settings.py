"""One frozen Settings object built from environment variables."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

DEFAULT_DATABASE_URL = "sqlite:///var/kontingent.sqlite3"
READ_AUDIT_COMMIT_MODES = ("async", "sync")


def _int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    return int(raw) if raw not in (None, "") else default


@dataclass(frozen=True, kw_only=True)
class Settings:
    """Runtime configuration of the service, the workers and the SMEV participant."""

    database_url: str = DEFAULT_DATABASE_URL
    """SQLAlchemy URL; SQLite file by default, PostgreSQL (psycopg2) in production."""
    max_request_bytes: int = 50 * 1024 * 1024
    """Largest SOAP request body accepted; larger ones get a fault before parsing."""
    max_xml_depth: int = 256
    """Deepest element nesting accepted in any XML input."""
    nonce_ttl_seconds: int = 600
    """How long a WS-Security nonce is remembered (and Created may lag or lead)."""
    created_skew_seconds: int = 300
    """Allowed distance between a UsernameToken's Created and now."""
    auth_enabled: bool = True
    """Only benchmarks switch authentication off, to measure its cost."""
    login_lock_threshold: int = 5
    """Failed logins in a row after which a user is locked."""
    login_lock_seconds: int = 900
    """How long such a lock lasts."""
    page_size_limit: int = 500
    """Largest page a search may ask for."""
    data_dir: Path = field(default_factory=lambda: Path("var"))
    """Where received packets and generated files are kept on disk."""
    secret_key_file: Path = field(default_factory=lambda: Path("var/secret.key"))
    """Fernet key that encrypts users' digest secrets; created on first use if missing."""
    secret_key: str = ""
    """The Fernet key itself (overrides ``secret_key_file``); keep it out of the database host."""
    smev_endpoint: str = ""
    """URL of the SMEV 3 message-exchange service (empty: the participant is off)."""
    smev_signature_profile: str = "gost2012-256"
    """Signature profile of SMEV messages: gost2012-256 or rsa-sha256."""
    read_audit_commit: str = "async"
    """How the read contracts (Students, Organizations, Authorities, EpguPerformance) commit their audit
    records on PostgreSQL: ``async`` (``synchronous_commit=off``: the answer does not wait for the WAL
    flush; a crash of the database server may lose the audit records of its last ~0.6 s of reads) or
    ``sync`` (every audit record is durable before the answer leaves)."""

    def __post_init__(self) -> None:
        if self.read_audit_commit not in READ_AUDIT_COMMIT_MODES:
            raise ValueError(
                f"KONTINGENT_READ_AUDIT_COMMIT must be one of {', '.join(READ_AUDIT_COMMIT_MODES)}, "
                f"not {self.read_audit_commit!r}"
            )

    @classmethod
    def from_env(cls) -> Settings:
        return cls(
            database_url=os.environ.get("KONTINGENT_DATABASE_URL", DEFAULT_DATABASE_URL),
            max_request_bytes=_int("KONTINGENT_MAX_REQUEST_BYTES", 50 * 1024 * 1024),
            max_xml_depth=_int("KONTINGENT_MAX_XML_DEPTH", 256),
            nonce_ttl_seconds=_int("KONTINGENT_NONCE_TTL_SECONDS", 600),
            created_skew_seconds=_int("KONTINGENT_CREATED_SKEW_SECONDS", 300),
            auth_enabled=os.environ.get("KONTINGENT_AUTH", "on") != "off",
            login_lock_threshold=_int("KONTINGENT_LOGIN_LOCK_THRESHOLD", 5),
            login_lock_seconds=_int("KONTINGENT_LOGIN_LOCK_SECONDS", 900),
            page_size_limit=_int("KONTINGENT_PAGE_SIZE_LIMIT", 500),
            data_dir=Path(os.environ.get("KONTINGENT_DATA_DIR", "var")),
            secret_key_file=Path(os.environ.get("KONTINGENT_SECRET_KEY_FILE", "var/secret.key")),
            secret_key=os.environ.get("KONTINGENT_SECRET_KEY", ""),
            smev_endpoint=os.environ.get("KONTINGENT_SMEV_ENDPOINT", ""),
            smev_signature_profile=os.environ.get("KONTINGENT_SMEV_SIGNATURE_PROFILE", "gost2012-256"),
            read_audit_commit=os.environ.get("KONTINGENT_READ_AUDIT_COMMIT") or "async",
        )
