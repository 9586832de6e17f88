"""stack op."""
