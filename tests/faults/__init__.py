"""Fault injection across the real services: kills, restarts, outages and races (slow)."""
