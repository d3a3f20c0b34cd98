"""The one import point for Django's tasks API.

Django 6 ships it as `django.tasks`; on Django 5.2 the `django-tasks` backport provides the same
names. Moving to Django 6 is then a version bump: this module picks whichever is present.
"""

from __future__ import annotations

from importlib.util import find_spec

if find_spec("django.tasks"):  # Django >= 6.0
    from django.tasks import (  # type: ignore[import-not-found,import-untyped,unused-ignore]
        TaskResultStatus,
        task,
    )
else:  # Django 5.2 with the backport
    from django_tasks import (  # type: ignore[no-redef,unused-ignore]
        TaskResultStatus,
        task,
    )

__all__ = ["TaskResultStatus", "task"]
