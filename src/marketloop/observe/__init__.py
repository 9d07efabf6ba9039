"""Logging, metrics and alert rules."""
