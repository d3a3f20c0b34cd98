"""Background import of a large incident file, started from the import pages.

`enqueue_import` creates the Job; `run_import` (the task) loads fresh rows and calls the
importer, the same `importer.run` the pages, the CLI and the API use; the uploaded file is
removed when it is done, whatever the outcome. The job's message_args carry the report the
result page shows: the counts, the first errors and the incidents created.
"""

from __future__ import annotations

import logging
from dataclasses import asdict
from typing import Any, Final

from django.utils.translation import gettext_noop

from testimonia.accounts.models import User, Workspace
from testimonia.core.tasks import task
from testimonia.incidents import import_uploads
from testimonia.incidents.import_columns import ImportProblem, save_mapping, used_mapping
from testimonia.incidents.importer import ImportOptions, run
from testimonia.jobs.models import Job
from testimonia.jobs.services import enqueue_job, finish_job, start_job

logger = logging.getLogger("testimonia.incidents")

SHOWN: Final = 200  # errors and incident links kept for the result page


def enqueue_import(
    actor: User,
    workspace: Workspace,
    token: str,
    filename: str,
    options: ImportOptions,
    *,
    rows: int,
    save_as: str = "",
) -> Job:
    """Queue the import of an uploaded file (import_uploads) by `actor`."""
    return enqueue_job(
        run_import,
        label=gettext_noop("Import incidents from a file"),
        workspace=workspace,
        requested_by=actor,
        args=[workspace.pk, actor.pk, token, filename, asdict(options), save_as],
        total=rows,
        unit="rows",
    )


@task()  # type: ignore[untyped-decorator]  # the backport's decorator is untyped
def run_import(
    job_id: int,
    workspace_id: int,
    actor_id: int,
    token: str,
    filename: str,
    options: dict[str, Any],
    save_as: str,
) -> int:
    """Import the file; the number of incidents created."""
    start_job(job_id)
    try:
        return _import(job_id, workspace_id, actor_id, token, filename, options, save_as)
    except Exception:
        logger.exception("import job %s failed", job_id)
        finish_job(
            job_id,
            failed=True,
            message=gettext_noop("The import failed; nothing was imported. See the server log."),
        )
        raise
    finally:
        import_uploads.remove(actor_id, token)


def _import(
    job_id: int,
    workspace_id: int,
    actor_id: int,
    token: str,
    filename: str,
    options: dict[str, Any],
    save_as: str,
) -> int:
    workspace = Workspace.objects.get(pk=workspace_id)
    actor = User.objects.get(pk=actor_id)
    path = import_uploads.path_of(actor_id, token)
    if not path.is_file():
        finish_job(
            job_id,
            failed=True,
            message=gettext_noop("The uploaded file is no longer there: upload it again."),
        )
        return 0
    try:
        report = run(actor, workspace, path, filename, ImportOptions(**options))
    except ImportProblem as exc:
        # The importer's messages are written for users: they name the file, never a path.
        finish_job(
            job_id,
            failed=True,
            message=gettext_noop("The file could not be imported: %(problem)s"),
            message_args={"problem": str(exc)},
        )
        return 0
    saved = ""
    if save_as:
        try:
            saved = save_mapping(actor, workspace, save_as, used_mapping(report.columns)).name
        except ImportProblem as exc:
            logger.warning("import job %s: mapping not saved: %s", job_id, exc)
    summary = report.as_dict()
    details = {
        "file": filename,
        "rows": summary["rows"],
        "imported": summary["imported"],
        "skipped": summary["skipped"],
        "invalid": summary["invalid"],
        "errors": [[e["row"], e["message"]] for e in summary["errors"][:SHOWN]],
        "error_count": len(summary["errors"]),
        "incidents": summary["incidents"][:SHOWN],
        "saved_mapping": saved,
    }
    if report.written:
        finish_job(
            job_id,
            message=gettext_noop(
                "%(imported)d incident(s) imported from %(file)s; %(skipped)d row(s) already "
                "in the workspace, %(invalid)d with errors."
            ),
            message_args=details,
        )
    else:
        finish_job(
            job_id,
            failed=True,
            message=gettext_noop(
                "Nothing was imported from %(file)s: %(invalid)d row(s) have errors."
            ),
            message_args=details,
        )
    return int(summary["imported"])
