"""Business Central API client."""
