"""The attendance batch body, for the OpenAPI document (the handler parses the raw bytes itself,
because it must hash exactly what was sent and answer per record)."""
from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field


class RecordIn(BaseModel):
    client_record_id: str = Field(min_length=1, max_length=64)
    id_number: str = Field(description="resident ID number, 18 characters")
    project_code: str
    device_id: str = Field(max_length=64)
    occurred_at: str = Field(description="ISO 8601 with offset, e.g. 2026-11-25T07:58:03+08:00")
    direction: Literal["in", "out", "unknown"] = "unknown"
    method: Literal["face", "card", "fingerprint", "manual", "supplementary"]
    face_hash: str | None = Field(default=None, max_length=128)
    card_hash: str | None = Field(default=None, max_length=128)
    liveness_score: float | None = Field(default=None, ge=0, le=1)


class BatchIn(BaseModel):
    batch_id: str = Field(min_length=1, max_length=64)
    mode: Literal["all_or_nothing", "partial"] = "all_or_nothing"
    records: list[RecordIn] = Field(min_length=1, max_length=5000)


class Verdict(BaseModel):
    client_record_id: str
    status: Literal["accepted", "duplicate", "rejected"]
    reason: str | None = None
    field: str | None = None


class BatchOut(BaseModel):
    batch_id: str
    status: Literal["applied", "rejected", "partly_applied"]
    counts: dict[str, int]
    results: list[Verdict]
