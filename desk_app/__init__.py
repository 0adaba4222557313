"""Treatment Desk: guided, logged laser acne-scarring treatments for Azure Medical."""

__version__ = "0.1.0"
