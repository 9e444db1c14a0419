"""usecases of kontingent_ws."""
