from django.apps import AppConfig


class CasesConfig(AppConfig):
    name = "testimonia.cases"
    label = "cases"
