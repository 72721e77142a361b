"""Credential drills: the environment's keys, the attacker process, the audit log read back."""
