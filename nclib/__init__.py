"""nclib: neurally compiled libraries for language models."""

__version__ = "0.1.0"
