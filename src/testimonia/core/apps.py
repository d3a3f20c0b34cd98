from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "testimonia.core"
    label = "core"
