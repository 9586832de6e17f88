"""Cross-cutting helpers every layer may use, and that use no other nclib layer (only
`nclib.errors`): all-or-nothing saves (`atomic`), option checks (`options`) and attributes
imported on first access (`lazy`)."""
