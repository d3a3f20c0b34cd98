from django.apps import AppConfig


class EvidenceConfig(AppConfig):
    name = "testimonia.evidence"
    label = "evidence"
