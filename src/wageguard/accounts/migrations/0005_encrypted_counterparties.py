"""Counterparties (for wages: a worker's name and card) encrypted at rest with a blind index for matching.
Rows stored in clear before are encrypted in place (raw SQL: the historical model would try to decrypt them)."""

import wageguard.core.pii
from django.db import migrations


def encrypt_existing(apps, schema_editor):
    from wageguard.core.pii import blind_index, encrypt

    table = apps.get_model("accounts", "AccountTransaction")._meta.db_table
    connection = schema_editor.connection
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT id, counterparty_name, counterparty_account FROM {quote(table)}")
        rows = cursor.fetchall()
        for pk, name, account in rows:
            if name and ":" in name[:4]:
                continue  # already encrypted ("<key version>:…")
            cursor.execute(
                f"UPDATE {quote(table)} SET counterparty_name = %s, counterparty_account = %s, counterparty_account_index = %s WHERE id = %s",
                [encrypt(name) if name else name, encrypt(account) if account else account,
                 blind_index(account) if account else None, pk])


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
