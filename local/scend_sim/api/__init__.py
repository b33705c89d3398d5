"""The simulator over HTTP: the contract's routes, the control surface, the OpenAPI document."""
