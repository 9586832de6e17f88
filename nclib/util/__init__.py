"""Cross-cutting helpers every layer may use, and that use no other nclib layer: all-or-nothing
saves (`atomic`), memory checks before allocation (`memory`), option checks (`options`) and
attributes imported on first access (`lazy`)."""
