"""The chaosdrill engine: scenarios, faults, load, detection, lifecycle, console, CLI."""

__version__ = "0.1.0"
