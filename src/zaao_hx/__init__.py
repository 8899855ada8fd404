"""ZAAO Klientiem: the customer self-service portal of ZAAO."""

__version__ = "0.1.0"
