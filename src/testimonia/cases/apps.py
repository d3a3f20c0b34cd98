from django.apps import AppConfig
from django.db.models.signals import post_migrate


class CasesConfig(AppConfig):
    name = "testimonia.cases"
    label = "cases"

    def ready(self) -> None:
        from testimonia.cases import checks  # noqa: F401 (registers the system checks)
        from testimonia.cases.mechanisms import sync_mechanisms

        # The mechanisms registry is data shipped with the code: every migrate brings it in
        # line (adding what is new, never deleting what consent decisions name).
        post_migrate.connect(sync_mechanisms, sender=self)
