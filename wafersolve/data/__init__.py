"""Data tables shipped with wafersolve (coolant properties)."""
