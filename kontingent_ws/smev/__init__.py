"""smev of kontingent_ws."""
