"""Measurements of models and programs: exact-match evaluation and its table and plot
(`exact_match`), the no-call check on ordinary text (`nocall`), and pictures of an execution
(`trace`)."""
