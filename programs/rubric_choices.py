"""Which self-assessment rubrics a call may point at. The rubrics live in the scoring app, which
depends on programs (not the other way): it registers the function that lists them at start-up."""

from __future__ import annotations

from typing import Callable, Iterable

_provider: Callable[[], Iterable[tuple[str, str]]] | None = None


def register_rubric_choices(provider: Callable[[], Iterable[tuple[str, str]]]) -> None:
    """`provider()` returns (code, title) of the rubrics a call may use."""
    global _provider
    _provider = provider


def rubric_choices() -> list[tuple[str, str]] | None:
    """(code, title) pairs, or None when no app provides rubrics (the code is then typed in)."""
    return None if _provider is None else list(_provider())
