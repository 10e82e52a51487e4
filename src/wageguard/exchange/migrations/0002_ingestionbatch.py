"""IngestionBatch moves from attendance to exchange (every signed push uses it now). The table keeps
its name, so only Django's state changes; then the new `kind` column is added."""
import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("exchange", "0001_initial"),
        ("attendance", "0003_batch_project_counts"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="IngestionBatch",
                    fields=[
                        ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                        ("batch_id", models.CharField(max_length=64)),
                        ("body_sm3", models.CharField(max_length=64)),
                        ("mode", models.CharField(max_length=16)),
                        ("received_at", models.DateTimeField(db_index=True)),
                        ("status", models.CharField(blank=True, choices=[("applied", "applied"), ("rejected", "rejected"), ("partly_applied", "partly applied")], max_length=16)),
                        ("records", models.PositiveIntegerField(default=0)),
                        ("accepted", models.PositiveIntegerField(default=0)),
                        ("duplicate", models.PositiveIntegerField(default=0)),
                        ("rejected", models.PositiveIntegerField(default=0)),
                        ("late", models.PositiveIntegerField(default=0)),
                        ("reasons", models.JSONField(blank=True, default=dict)),
                        ("response", models.JSONField(blank=True, null=True)),
                        ("sender", models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name="batches", to="exchange.apiclient")),
                    ],
                    options={
                        "verbose_name": "ingestion batch",
                        "verbose_name_plural": "ingestion batches",
                        "ordering": ["-received_at"],
                        "db_table": "attendance_ingestionbatch",
                        "constraints": [models.UniqueConstraint(fields=("sender", "batch_id"), name="ingestionbatch_sender_batch_unique")],
                    },
                ),
            ],
            database_operations=[],
        ),
        migrations.AddField(
            model_name="ingestionbatch",
            name="kind",
            field=models.CharField(choices=[("attendance", "attendance punches"), ("bank_accounts", "accounts opened"), ("bank_account_status", "account status changes"), ("bank_transactions", "account transactions"), ("bank_balances", "daily balances")], default="attendance", max_length=24),
        ),
    ]
