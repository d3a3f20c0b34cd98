from django.apps import AppConfig


class JobsConfig(AppConfig):
    name = "testimonia.jobs"
    label = "jobs"
