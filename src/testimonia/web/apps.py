from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "testimonia.web"
    label = "web"
