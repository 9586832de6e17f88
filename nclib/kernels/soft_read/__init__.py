"""soft_read op."""
