"""Per-system configuration (rules C1–C15): the document, its validation, secrets, audit."""
