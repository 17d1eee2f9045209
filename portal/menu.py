"""The main navigation: every app registers its entries with the rule that shows them.

An entry is shown when its rule allows the actor (the same named rules the pages ask), so the menu
never offers a page that would refuse the user, and no template tests roles.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from django.urls import reverse

from .access.core import Actor, Decision


@dataclass(frozen=True)
class MenuEntry:
    key: str
    label: object  # a lazy translated string
    url_name: str
    rule: Callable[[Actor], Decision | bool]
    order: int = 100


_ENTRIES: dict[str, MenuEntry] = {}


def register_menu_entry(entry: MenuEntry) -> None:
    _ENTRIES[entry.key] = entry


def menu_for(actor: Actor) -> list[dict]:
    """The entries the actor may follow, in order: [{"key", "label", "url"}]."""
    shown = []
    for entry in sorted(_ENTRIES.values(), key=lambda e: (e.order, e.key)):
        if entry.rule(actor):
            shown.append({"key": entry.key, "label": str(entry.label), "url": reverse(entry.url_name)})
    return shown
