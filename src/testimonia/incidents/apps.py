from django.apps import AppConfig
from django.db.models.signals import post_migrate


class IncidentsConfig(AppConfig):
    name = "testimonia.incidents"
    label = "incidents"

    def ready(self) -> None:
        from testimonia.incidents import facet_index, facet_signals, search_signals
        from testimonia.incidents.gazetteer import load_gazetteer
        from testimonia.incidents.search import ensure_index
        from testimonia.incidents.vocabularies import sync_vocabularies

        # The vocabularies and the gazetteer are data shipped with the code: every migrate
        # brings them in line (adding what is new, never deleting what records may use).
        post_migrate.connect(sync_vocabularies, sender=self)
        post_migrate.connect(load_gazetteer, sender=self)
        # The search index follows every save (search_signals) and is rebuilt after a migrate
        # that finds it built by other normalisation rules, or never built.
        post_migrate.connect(ensure_index, sender=self)
        search_signals.connect()
        # The facet index follows every save too (facet_signals), and is built after the
        # migrate that creates it.
        post_migrate.connect(facet_index.ensure_index, sender=self)
        facet_signals.connect()
