"""Errors of the roadmap services; their messages are safe to show to the user."""

from __future__ import annotations


class RoadmapError(Exception):
    """A request that cannot be carried out as asked; the message names the problem."""


class RoadmapConflict(RoadmapError):
    """The request conflicts with what is recorded (a name already taken, a record still in
    use, history that may not be rewritten); the message says what is in the way."""
