"""Messages between flows: the Envelope, the Transport port and its two adapters."""
