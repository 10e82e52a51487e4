"""On PostgreSQL, recreate the (still empty) punch table as partitioned by month of occurred_at.

Identity columns on partitioned tables need PostgreSQL 17, so the id takes its values from a sequence.
The primary key includes the partition key, as PostgreSQL requires; nothing references punches by key.
SQLite keeps the ordinary table.
"""
from django.db import migrations

CREATE = """
DROP TABLE attendance_attendancerecord;
CREATE SEQUENCE IF NOT EXISTS attendance_attendancerecord_id_seq;
CREATE TABLE attendance_attendancerecord (
    id bigint NOT NULL DEFAULT nextval('attendance_attendancerecord_id_seq'),
    worker_id bigint NOT NULL,
    project_id bigint NOT NULL,
    device_id varchar(64) NOT NULL,
    occurred_at timestamp with time zone NOT NULL,
    day date NOT NULL,
    direction varchar(8) NOT NULL,
    method varchar(16) NOT NULL,
    face_hash varchar(128) NOT NULL,
    card_hash varchar(128) NOT NULL,
    liveness_score double precision NULL,
    received_at timestamp with time zone NOT NULL,
    is_late boolean NOT NULL,
    sender_id bigint NULL,
    batch_id bigint NULL,
    client_record_id varchar(64) NOT NULL,
    PRIMARY KEY (id, occurred_at),
    CONSTRAINT attendancerecord_punch_unique UNIQUE (worker_id, device_id, occurred_at)
) PARTITION BY RANGE (occurred_at);
ALTER SEQUENCE attendance_attendancerecord_id_seq OWNED BY attendance_attendancerecord.id;
CREATE INDEX attrec_project_day ON attendance_attendancerecord (project_id, day);
CREATE INDEX attrec_card_time ON attendance_attendancerecord (card_hash, occurred_at);
CREATE INDEX attrec_face_time ON attendance_attendancerecord (face_hash, occurred_at);
CREATE INDEX attrec_worker_day ON attendance_attendancerecord (worker_id, day);
CREATE TABLE attendance_attendancerecord_default PARTITION OF attendance_attendancerecord DEFAULT;
"""


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(CREATE)
    from wageguard.attendance import partitions

    partitions.ensure()


class Migration(migrations.Migration):
    dependencies = [("attendance", "0001_initial")]
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
