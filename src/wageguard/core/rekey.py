"""Key rotation: re-encrypt every encrypted field and recompute every blind index (docs/pii.md)."""
from __future__ import annotations

from typing import Iterator

from django.apps import apps
from django.db import transaction

from .pii import BlindIndexField, EncryptedField


def _encrypted_models():
    for model in apps.get_models():
        fields = [f for f in model._meta.concrete_fields if isinstance(f, (EncryptedField, BlindIndexField))]
        if fields:
            yield model, [f.name for f in fields]


def rekey_all(*, batch: int = 1000) -> Iterator[tuple[str, int]]:
    """Reading decrypts with whichever key version wrote a row; saving writes with the current key."""
    for model, fields in _encrypted_models():
        count = 0
        pks = list(model.objects.order_by("pk").values_list("pk", flat=True))
        for start in range(0, len(pks), batch):
            with transaction.atomic():
                rows = list(model.objects.filter(pk__in=pks[start:start + batch]))
                for row in rows:
                    for field in model._meta.concrete_fields:
                        if isinstance(field, BlindIndexField):
                            field.pre_save(row, add=False)
                model.objects.bulk_update(rows, fields)
                count += len(rows)
        yield model._meta.label, count
