from django.apps import AppConfig


class SimulateConfig(AppConfig):
    name = "wageguard.simulate"
    label = "simulate"
    verbose_name = "Simulator"
