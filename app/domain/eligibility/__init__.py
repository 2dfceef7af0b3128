"""Transfer rules of domain.md as pure functions, one module per entity family."""
