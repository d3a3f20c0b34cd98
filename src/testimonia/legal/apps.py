from django.apps import AppConfig


class LegalConfig(AppConfig):
    """Legal analysis: the Rome Statute crime catalogue (data), qualification, case matrix."""

    name = "testimonia.legal"
    label = "legal"
