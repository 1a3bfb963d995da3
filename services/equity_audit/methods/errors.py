"""The one error the methods raise for bad input, shaped for a problem-details response."""


class MethodInputError(ValueError):
    """An input a statistical method cannot use: which item (if a list), which field, and why."""

    def __init__(self, item_index: int | None, field: str, reason: str) -> None:
        self.item_index = item_index
        self.field = field
        self.reason = reason
        where = field if item_index is None else f"item {item_index}, {field}"
        super().__init__(f"{where}: {reason}")
