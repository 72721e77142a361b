"""The fault kinds, one module per area of the target."""
