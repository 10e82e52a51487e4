"""Counterparties (for wages: a worker's name and card) encrypted at rest with a blind index for matching.
Rows stored in clear before are encrypted in place (raw SQL: the historical model would try to decrypt them)."""

import wageguard.core.pii
from django.db import migrations


def encrypt_existing(apps, schema_editor):
    from wageguard.core.pii import encrypt_columns_in_place

    encrypt_columns_in_place(schema_editor, apps.get_model("accounts", "AccountTransaction")._meta.db_table,
                             ["counterparty_name", "counterparty_account"], {"counterparty_account": "counterparty_account_index"})


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0004_wage_deposits'),
    ]

    operations = [
        migrations.AddField(
            model_name='accounttransaction',
            name='counterparty_account_index',
            field=wageguard.core.pii.BlindIndexField(db_index=True, editable=False, max_length=64, null=True, source='counterparty_account'),
        ),
        migrations.AlterField(
            model_name='accounttransaction',
            name='counterparty_account',
            field=wageguard.core.pii.EncryptedField(blank=True, verbose_name='counterparty account'),
        ),
        migrations.AlterField(
            model_name='accounttransaction',
            name='counterparty_name',
            field=wageguard.core.pii.EncryptedField(verbose_name='counterparty'),
        ),
        migrations.RunPython(encrypt_existing, migrations.RunPython.noop),
    ]
