from django.apps import AppConfig


class IncidentsConfig(AppConfig):
    name = "testimonia.incidents"
    label = "incidents"
