"""Pure BC ↔ Scend transforms and lookup tables."""
