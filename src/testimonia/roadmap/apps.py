from django.apps import AppConfig
from django.db.models.signals import post_migrate


class RoadmapConfig(AppConfig):
    """The roadmap for justice: recommendations and obligations addressed to states and bodies,
    the commitments made in response, and their implementation over time."""

    name = "testimonia.roadmap"
    label = "roadmap"

    def ready(self) -> None:
        from testimonia.roadmap.themes import sync_themes

        # The themes are data shipped with the code (roadmap/data/themes.json): every migrate
        # brings them in line, adding what is new and never deleting what records may use.
        post_migrate.connect(sync_themes, sender=self)
