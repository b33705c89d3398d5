"""Scend: the port every flow uses and its adapters."""
