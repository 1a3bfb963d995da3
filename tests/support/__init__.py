"""Helpers every suite shares: hermetic networking, bounded polling, required data."""
