"""Table Storage repositories: cross-references, watermarks, exceptions, processed events."""
