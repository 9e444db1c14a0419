"""services of kontingent_ws."""
