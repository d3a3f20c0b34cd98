from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "testimonia.accounts"
    label = "accounts"
