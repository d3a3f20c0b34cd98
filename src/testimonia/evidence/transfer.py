"""Handover of exported evidence to another party, recorded in the chain of custody.

An export makes a bag; the bag may be handed over later, by other means (an encrypted drive,
a secure upload, in person). `record_transfer` appends one `transfer` event per item of the
export, naming the recipient and the means, and signs a checkpoint over them.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from django.db import transaction
from django.utils.translation import gettext as _

from testimonia.accounts.models import User, Workspace
from testimonia.custody.models import Checkpoint, LogEntry
from testimonia.custody.services import Action, append_event, sign_checkpoint
from testimonia.evidence.exceptions import EvidenceError

FIELD_MAX = 500


@dataclass(frozen=True)
class Transfer:
    export_id: str
    items: list[int]
    events: list[int]  # sequence numbers of the transfer events
    checkpoint: Checkpoint


def record_transfer(
    actor: User | None,
    workspace: Workspace,
    export_id: str,
    *,
    recipient: str,
    means: str = "",
    reason: str = "",
) -> Transfer:
    recipient = recipient.strip()
    if not recipient:
        raise EvidenceError(_("name the recipient of the transfer"))
    if max(len(recipient), len(means), len(reason)) > FIELD_MAX:
        raise EvidenceError(
            _("recipient, means and reason are each at most %(max)d characters")
            % {"max": FIELD_MAX}
        )
    exported: dict[int, str] = {}
    # The export id is a UUID that the export wrote into each of its events' details.
    needle = json.dumps(export_id.strip())
    for payload in (
        LogEntry.objects.filter(workspace=workspace, action=Action.EXPORT, payload__contains=needle)
        .order_by("seq")
        .values_list("payload", flat=True)
    ):
        event = json.loads(payload)
        if event.get("details", {}).get("export_id") != export_id.strip():
            continue
        subject = str(event.get("subject", ""))
        kind, _sep, ref = subject.partition(":")
        if kind == "item" and ref.isdigit():
            exported[int(ref)] = str(event.get("object", ""))
    if not exported:
        raise EvidenceError(
            _("no export %(id)s in workspace %(ws)s: the export id is printed by the export")
            % {"id": export_id, "ws": workspace.slug}
        )
    with transaction.atomic():
        seqs = [
            append_event(
                workspace,
                actor=actor,
                action=Action.TRANSFER,
                object_digest=digest,
                subject=f"item:{pk}",
                reason=reason.strip(),
                details={
                    "export_id": export_id.strip(),
                    "recipient": recipient,
                    "means": means.strip(),
                    "items": len(exported),
                },
            ).seq
            for pk, digest in sorted(exported.items())
        ]
    return Transfer(
        export_id=export_id.strip(),
        items=sorted(exported),
        events=seqs,
        checkpoint=sign_checkpoint(workspace),
    )
