"""Enumerate every route of the project from Django's URL resolver (not from a hand list)."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from django.urls import URLPattern, URLResolver, get_resolver
from django.urls.resolvers import RegexPattern, RoutePattern


@dataclass(frozen=True)
class Route:
    route: str  # "w/<slug:workspace>/evidence/" or a regex for re_path routes
    callback: Callable[..., Any]
    namespaces: tuple[str, ...]
    name: str | None
    is_regex: bool

    @property
    def params(self) -> list[str]:
        if self.is_regex:
            return re.findall(r"\(\?P<(\w+)>", self.route)
        return re.findall(r"<(?:\w+:)?(\w+)>", self.route)

    def fill(self, values: dict[str, str]) -> str | None:
        """A concrete URL for this route, or None for regex routes (filled only by hand)."""
        if self.is_regex:
            return None
        return "/" + re.sub(r"<(?:\w+:)?(\w+)>", lambda m: values.get(m.group(1), "1"), self.route)


def walk(
    patterns: list[Any] | None = None,
    prefix: str = "",
    namespaces: tuple[str, ...] = (),
    regex: bool = False,
) -> Iterator[Route]:
    if patterns is None:
        patterns = get_resolver().url_patterns
    for entry in patterns:
        piece = str(entry.pattern)
        is_regex = regex or isinstance(entry.pattern, RegexPattern)
        if isinstance(entry.pattern, RegexPattern):
            piece = piece.lstrip("^").rstrip("$")
        elif not isinstance(entry.pattern, RoutePattern):  # pragma: no cover
            raise TypeError(entry.pattern)
        if isinstance(entry, URLResolver):
            spaces = namespaces + ((entry.namespace,) if entry.namespace else ())
            yield from walk(entry.url_patterns, prefix + piece, spaces, is_regex)
        elif isinstance(entry, URLPattern):
            yield Route(prefix + piece, entry.callback, namespaces, entry.name, is_regex)
