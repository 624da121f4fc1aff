from __future__ import annotations


class ConfigError(Exception):
    """A config file is invalid. The message names the file, the field and the offending value."""

    def __init__(self, path: str, problems: list[str]) -> None:
        self.path = path
        self.problems = problems
        super().__init__("\n".join(f"{path}: {p}" for p in problems))
