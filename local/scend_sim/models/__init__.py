"""The contract's records and bodies as pydantic models: one module per business area."""
