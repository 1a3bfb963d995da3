"""Benchmarks: each module here exposes `run() -> list[tuple[str, str]]` (figure, value)."""
