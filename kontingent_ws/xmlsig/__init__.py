"""xmlsig of kontingent_ws."""
