"""Background work of the cases app: a disclosure package too large to build during a
request (cases/api_cases.py decides), in the three layers of CONVENTIONS.md:
`enqueue_export_case` -> `run_export_case` (loads fresh rows) -> `disclosure.export_to_store`.
"""

from __future__ import annotations

import logging

from django.core.exceptions import SuspiciousOperation
from django.utils.translation import gettext_noop

from testimonia.accounts.models import User
from testimonia.cases.disclosure import export_to_store
from testimonia.cases.exceptions import CasesError, DisclosureRefused
from testimonia.cases.models import Case
from testimonia.core.tasks import task
from testimonia.jobs.models import Job
from testimonia.jobs.services import enqueue_job, finish_job, report_progress, start_job

logger = logging.getLogger("testimonia.cases")


def enqueue_export_case(
    actor: User | None,
    case: Case,
    mechanism_slug: str,
    *,
    recipient: str,
    language: str | None,
    total: int,
) -> Job:
    return enqueue_job(
        run_export_case,
        label=gettext_noop("Disclosure package"),
        workspace=case.workspace,
        requested_by=actor,
        args=[case.pk, mechanism_slug, recipient, language, actor.pk if actor else None],
        total=max(total, 1),
        unit="bytes",
    )


@task()  # type: ignore[untyped-decorator]  # the backport's decorator is untyped
def run_export_case(
    job_id: int,
    case_id: int,
    mechanism_slug: str,
    recipient: str,
    language: str | None,
    actor_id: int | None,
) -> int | None:
    """Build and record the package; the job's message names the disclosure, or says why
    there is none (consent is checked again here: it may have changed since the request)."""
    start_job(job_id)
    case = Case.objects.select_related("workspace").filter(pk=case_id).first()
    actor = User.objects.filter(pk=actor_id).first() if actor_id else None
    total = Job.objects.filter(pk=job_id).values_list("total", flat=True).first() or 1
    done = 0

    def advance(n: int) -> None:
        nonlocal done
        done = min(done + n, total)
        report_progress(job_id, done)

    if case is None:
        finish_job(job_id, failed=True, message=gettext_noop("The case no longer exists"))
        return None
    try:
        disclosure = export_to_store(
            actor, case, mechanism_slug, recipient=recipient, language=language, progress=advance
        )
    except DisclosureRefused as exc:
        finish_job(
            job_id,
            failed=True,
            message=gettext_noop(
                "Refused: %(count)d item(s) may not go to %(mechanism)s under their witnesses' "
                "consent; nothing was written"
            ),
            message_args={"count": len(exc.refusals), "mechanism": exc.mechanism},
        )
        return None
    except (CasesError, SuspiciousOperation, OSError):
        logger.exception("disclosure of case %s to %s failed", case_id, mechanism_slug)
        finish_job(
            job_id,
            failed=True,
            message=gettext_noop("The package could not be made; see the server log"),
        )
        return None
    finish_job(
        job_id,
        message=gettext_noop("Disclosure %(id)s recorded"),
        message_args={"id": disclosure.pk},
    )
    return disclosure.pk
