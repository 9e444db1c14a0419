"""Configuration of the SMEV participant: ``Settings`` plus the key files, from the environment."""

from __future__ import annotations

import logging
import os
import signal
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from kontingent_ws.errors import ValidationError
from kontingent_ws.settings import Settings
from kontingent_ws.smev.participant import no_checkpoint

log = logging.getLogger(__name__)


@dataclass(frozen=True, kw_only=True)
class SmevConfig:
    """Where SMEV is, which key signs, whom to trust, how often to poll."""

    endpoint: str
    """URL of the message-exchange service (``KONTINGENT_SMEV_ENDPOINT``)."""
    profile: str
    """Signature profile name (``KONTINGENT_SMEV_SIGNATURE_PROFILE``)."""
    key_file: Path
    """Unencrypted PKCS#8 private key, PEM or DER (``KONTINGENT_SMEV_KEY_FILE``)."""
    certificate_file: Path
    """The participant's certificate, PEM or DER (``KONTINGENT_SMEV_CERTIFICATE_FILE``)."""
    trusted_certificates: tuple[Path, ...]
    """SMEV's and known senders' certificates (``KONTINGENT_SMEV_TRUSTED_CERTIFICATES``, path-separated)."""
    poll_seconds: float = 5.0
    """Pause after an empty queue (``KONTINGENT_SMEV_POLL_SECONDS``)."""
    timeout_seconds: float = 60.0
    """HTTP read timeout (``KONTINGENT_SMEV_TIMEOUT_SECONDS``)."""
    crash_at: str = ""
    """Test hook (``KONTINGENT_SMEV_CRASH_AT``): kill the process with SIGKILL at this checkpoint."""

    @classmethod
    def from_env(cls, settings: Settings, environ: Mapping[str, str] | None = None) -> SmevConfig:
        env = os.environ if environ is None else environ
        missing = [
            name for name in ("KONTINGENT_SMEV_KEY_FILE", "KONTINGENT_SMEV_CERTIFICATE_FILE") if not env.get(name)
        ]
        if not settings.smev_endpoint:
            missing.insert(0, "KONTINGENT_SMEV_ENDPOINT")
        if missing:
            raise ValidationError(f"Участник СМЭВ не настроен: не заданы {', '.join(missing)}")
        trusted = env.get("KONTINGENT_SMEV_TRUSTED_CERTIFICATES", "")
        return cls(
            endpoint=settings.smev_endpoint,
            profile=settings.smev_signature_profile,
            key_file=Path(env["KONTINGENT_SMEV_KEY_FILE"]),
            certificate_file=Path(env["KONTINGENT_SMEV_CERTIFICATE_FILE"]),
            trusted_certificates=tuple(Path(item) for item in trusted.split(os.pathsep) if item),
            poll_seconds=float(env.get("KONTINGENT_SMEV_POLL_SECONDS") or 5.0),
            timeout_seconds=float(env.get("KONTINGENT_SMEV_TIMEOUT_SECONDS") or 60.0),
            crash_at=env.get("KONTINGENT_SMEV_CRASH_AT", ""),
        )

    def checkpoint(self) -> Callable[[str], None]:
        """The participant's checkpoint: nothing, or death by SIGKILL at ``crash_at``."""
        if not self.crash_at:
            return no_checkpoint

        def crash(point: str) -> None:
            if point == self.crash_at:
                log.warning("SMEV: killed at checkpoint %s (KONTINGENT_SMEV_CRASH_AT)", point)
                os.kill(os.getpid(), signal.SIGKILL)

        return crash
