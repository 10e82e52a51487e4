"""IngestionBatch now lives in exchange (same table): point the foreign keys there, drop it from this app's state."""
import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("attendance", "0003_batch_project_counts"),
        ("exchange", "0002_ingestionbatch"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="batchprojectcount", name="batch",
                    field=models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name="project_counts", to="exchange.ingestionbatch"),
                ),
                migrations.AlterField(
                    model_name="ingestionrejection", name="batch",
                    field=models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name="rejections", to="exchange.ingestionbatch"),
                ),
                migrations.AlterField(
                    model_name="attendancerecord", name="batch",
                    field=models.ForeignKey(db_constraint=False, null=True, on_delete=django.db.models.deletion.PROTECT, related_name="+", to="exchange.ingestionbatch"),
                ),
                migrations.DeleteModel(name="IngestionBatch"),
            ],
            database_operations=[],
        ),
    ]
