from django.apps import AppConfig


class CustodyConfig(AppConfig):
    name = "testimonia.custody"
    label = "custody"
