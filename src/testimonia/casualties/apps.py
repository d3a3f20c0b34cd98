from django.apps import AppConfig


class CasualtiesConfig(AppConfig):
    """Casualty analytics: victim lists, record linkage, statistics and multiple systems
    estimation of the undocumented total (the estimation code is pure: estimation.py)."""

    name = "testimonia.casualties"
    label = "casualties"
