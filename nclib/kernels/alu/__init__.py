"""alu op."""
