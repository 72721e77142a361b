"""Jinja2 templates of the reports (package data: *.j2 files next to this module)."""
