"""soft_write op."""
