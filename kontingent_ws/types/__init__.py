"""types of kontingent_ws."""
