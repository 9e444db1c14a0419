"""kontingent-ws: the regional segment of the student registry as SOAP/SMEV web services."""

__version__ = "0.1.0"
