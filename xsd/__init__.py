"""The project's own XML contracts (provider packets, EPGU and federal payloads), versioned."""

from pathlib import Path

XSD_DIR = Path(__file__).resolve().parent


def schema_path(name: str) -> Path:
    """Path of one schema file shipped in this package."""
    return XSD_DIR / name
