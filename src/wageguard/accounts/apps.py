from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


def _load_banks(sender, **kwargs):
    from .banks import banks_load

    banks_load(using=kwargs.get("using", "default"))


class AccountsConfig(AppConfig):
    name = "wageguard.accounts"
    label = "accounts"
    verbose_name = _("Dedicated accounts and deposits")

    def ready(self):
        # The partner banks are reference data: kept current on every migrate (and after a test flush).
        post_migrate.connect(_load_banks, sender=self, dispatch_uid="accounts-load-banks")
