"""Provider formats → internal records and row-level errors (pure: no database, no network)."""
