"""The intake pipeline: a provider's packet (or an uploaded file) from receipt to the registry.

receive (store as received, idempotent) → job → verify and open (``formats``) → match identities
(``matching``) → merge under provider priority (``priority``) → validate enrolments against the
database (``validate``) → write in one transaction (``apply``) → load journal (``journal``).
"""
