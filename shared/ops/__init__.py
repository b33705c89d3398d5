"""Operations: the exception catalogue, and later the ops API, dashboard and CLI."""
