"""security of kontingent_ws."""
