"""The two kinds of mistakes the scorecard refuses: in a framework file, and in a score."""

from __future__ import annotations

from pathlib import Path

__all__ = ["FrameworkError", "ScoreError"]


class FrameworkError(ValueError):
    """A problem in a framework or unit-set file, located by file, item and field.

    ``str(error)`` is ``f"{file}:{where or '-'}: {problem}"`` as for instruments,
    where ``where`` is the item's id (or the category's, for a category-level
    problem) and ``problem`` starts with ``field 'name': `` when a field is known:
    one line tells the author where to look, in an editor, in CI and in
    ``flask survey framework check``.
    """

    def __init__(self, file: str, where: str | None, field: str | None, problem: str) -> None:
        self.file = file
        self.where = where
        self.field = field
        self.problem = f"field '{field}': {problem}" if field else problem
        super().__init__(f"{file}:{where or '-'}: {self.problem}")

    def without_folders(self) -> str:
        """The same line with the file's name alone: for a page, where the server's folders
        are nobody's business (the log keeps ``str(error)``, the whole path)."""
        return f"{Path(self.file).name}:{self.where or '-'}: {self.problem}"


class ScoreError(ValueError):
    """A score, data value or event the framework does not allow, named by item.

    The screens translate it from ``item`` and ``problem`` (kept apart for them);
    ``str(error)`` reads ``item 'x': problem``.
    """

    def __init__(self, item: str, problem: str) -> None:
        self.item = item
        self.problem = problem
        super().__init__(f"item '{item}': {problem}")
