"""iX-Haus ⇄ casavi service-portal gateway."""

__version__ = "0.1.0"
