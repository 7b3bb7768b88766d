"""Tables of the operations area: what each housekeeping purge did, and to which items.

UK GDPR's storage limitation: the monitor holds pupils' personal data only while a reviewer may
need it. A purge run records its counts, and one `purge_record` per review item it purged, so an
auditor can see that text was removed, by which run and under which retention period, without
the text itself.
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, SQLModel

from storage.types import UTCDateTime, timestamp_field


class PurgeRunBase(SQLModel):
    retention_days: int = Field(description="days after closing that text was kept")
    cutoff: datetime = Field(sa_type=UTCDateTime, description="items closed before this purged")
    items_purged: int = 0
    posts_purged: int = Field(default=0, description="post texts removed from purged items")
    findings_purged: int = Field(default=0, description="finding explanations and spans cleared")
    notes_purged: int = Field(default=0, description="audit-event notes replaced by a marker")
    unflagged_texts_dropped: int = Field(
        default=0, description="texts of scanned posts with no review item (kept by older runs)"
    )
    trigger: str = Field(default="", max_length=64, description="DAG run id, or cli")


class PurgeRun(PurgeRunBase, table=True):
    __tablename__ = "purge_run"

    id: int | None = Field(default=None, primary_key=True)
    started_at: datetime = timestamp_field()
    finished_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class PurgeRunPublic(PurgeRunBase):
    id: int
    started_at: datetime
    finished_at: datetime | None


class PurgeRecord(SQLModel, table=True):
    """One review item a run purged; a later close of a reopened item is purged again."""

    __tablename__ = "purge_record"

    id: int | None = Field(default=None, primary_key=True)
    run_id: int = Field(foreign_key="purge_run.id", index=True)
    item_id: int = Field(foreign_key="reviewitem.id", index=True)
    post_id: int = Field(foreign_key="post.id")
    closed_at: datetime = Field(sa_type=UTCDateTime, description="the closing that was purged")
    purged_at: datetime = timestamp_field()
