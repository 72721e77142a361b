"""The console's routes, one module per concern."""
