"""The local stack: dev host, simulators, Azurite helper and the demo scenario."""
