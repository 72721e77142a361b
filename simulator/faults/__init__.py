"""Real faults and remediations: kinds, backends, journal, cleanup."""
