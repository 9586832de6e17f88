"""Fine-tuning and evaluation recipes (installed as `nclib.train`; configs in `configs/`)."""
