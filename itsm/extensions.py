"""Extension points of the ITSM admin, filled by the integration apps.

`itsm` knows nothing of the integration. Apps register object tools (buttons in a
form's header) and related lists (tables under a form) from their own `apps.py`;
the ITSM change forms render whatever is registered.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Model
from django.http import HttpRequest


@dataclass(frozen=True)
class ObjectTool:
    label: str
    url: str
    # POST tools render as a small form with the CSRF token: they change state.
    method: str = "get"


@dataclass(frozen=True)
class RelatedRow:
    url: str
    cells: list[object]


@dataclass
class RelatedList:
    title: str
    columns: list[str]
    rows: list[RelatedRow] = field(default_factory=list)
    total: int = 0
    more_url: str = ""


ObjectToolProvider = Callable[[HttpRequest, Model], list[ObjectTool]]
RelatedListProvider = Callable[[HttpRequest, Model], RelatedList | None]

_object_tool_providers: list[ObjectToolProvider] = []
_inlines: dict[str, list[type[Any]]] = {}
_related_list_providers: list[RelatedListProvider] = []


def register_object_tools(provider: ObjectToolProvider) -> ObjectToolProvider:
    """Register a function that returns buttons for a record's change form."""
    if provider not in _object_tool_providers:
        _object_tool_providers.append(provider)
    return provider


def register_related_list(provider: RelatedListProvider) -> RelatedListProvider:
    """Register a function that returns a related list for a record, or None."""
    if provider not in _related_list_providers:
        _related_list_providers.append(provider)
    return provider


def object_tools_for(request: HttpRequest, obj: Model) -> list[ObjectTool]:
    tools: list[ObjectTool] = []
    for provider in _object_tool_providers:
        tools.extend(provider(request, obj))
    return tools


def related_lists_for(request: HttpRequest, obj: Model) -> list[RelatedList]:
    lists = (provider(request, obj) for provider in _related_list_providers)
    return [related for related in lists if related is not None]


def register_inline(model_label: str, inline: type[Any]) -> None:
    """Show `inline` (an admin inline class) on the form of `app_label.model`."""
    inlines = _inlines.setdefault(model_label.lower(), [])
    if inline not in inlines:
        inlines.append(inline)


def inlines_for(model: type[Model]) -> list[type[Any]]:
    return list(_inlines.get(model._meta.label_lower, []))
