"""The report catalogue: queries over db/ and renderers (xlsx, pdf, charts)."""
