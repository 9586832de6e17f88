"""Data: the offline prose corpus (`corpus`) and a user's own `(prompt, answer)` rows
(`userdata`)."""
