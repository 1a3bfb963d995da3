"""Errors raised when a published data file does not meet its documented shape.

ValueError
└── DataFileError        a file failed validation; ``errors`` lists every bad row

Both come from ``shared.reference``, the one reference-data library every service reads
its files with; ward_api's sitrep reader reports bad rows the same way.
"""

from shared.reference import DataFileError, RowError

__all__ = ["DataFileError", "RowError"]
