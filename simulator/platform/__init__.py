"""Where a drill runs: one `Platform` per backend (local processes, Docker), chosen by name
in `registry.platform_for`; nothing outside a platform's own modules compares backend names."""
