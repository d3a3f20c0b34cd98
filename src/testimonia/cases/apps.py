from django.apps import AppConfig
from django.db.models.signals import post_migrate


class CasesConfig(AppConfig):
    name = "testimonia.cases"
    label = "cases"

    def ready(self) -> None:
        from django.utils.translation import gettext_lazy as _

        from testimonia.cases import checks  # noqa: F401 (registers the system checks)
        from testimonia.cases.consent import CONSENT_ACTION
        from testimonia.cases.disclosure import DISCLOSURE_ACTION, RECEIPT_ACTION
        from testimonia.cases.identity import Action
        from testimonia.cases.mechanisms import sync_mechanisms
        from testimonia.custody.services import register_action_label

        register_action_label(Action.REVEAL, _("witness identity revealed"))
        register_action_label(Action.UPDATE, _("witness identity corrected"))
        register_action_label(CONSENT_ACTION, _("consent recorded"))
        register_action_label(DISCLOSURE_ACTION, _("disclosure to a mechanism"))
        register_action_label(RECEIPT_ACTION, _("receipt of a disclosure recorded"))

        # The mechanisms registry is data shipped with the code: every migrate brings it in
        # line (adding what is new, never deleting what consent decisions name).
        post_migrate.connect(sync_mechanisms, sender=self)
