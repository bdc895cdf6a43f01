"""settings, library mirror, job runs

Revision ID: 0001
Revises:
"""
import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

TZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "settings",
        sa.Column("key", sa.String(64), primary_key=True),
        sa.Column("value", sa.Text),
        sa.Column("updated_at", TZ, nullable=False),
    )
    op.create_table(
        "library_items",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("guid", sa.String(512), nullable=False, unique=True),
        sa.Column("rating_key", sa.String(64), nullable=False, index=True),
        sa.Column("section_key", sa.String(64), nullable=False),
        sa.Column("title", sa.String(1024), nullable=False),
        sa.Column("author", sa.String(1024)),
        sa.Column("narrator", sa.String(1024)),
        sa.Column("asin", sa.String(10), index=True),
        sa.Column("asin_source", sa.String(16)),
        sa.Column("external_guids", sa.JSON),
        sa.Column("year", sa.Integer),
        sa.Column("summary", sa.Text),
        sa.Column("thumb", sa.String(1024)),
        sa.Column("user_rating", sa.Float),
        sa.Column("added_at", sa.BigInteger, index=True),
        sa.Column("updated_at", sa.BigInteger),
        sa.Column("content_hash", sa.String(32), nullable=False),
        sa.Column("duration_ms", sa.BigInteger),
        sa.Column("file_paths", sa.JSON),
        sa.Column("details_updated_at", sa.BigInteger),
        sa.Column("first_seen_at", TZ, nullable=False),
        sa.Column("last_seen_at", TZ, nullable=False),
    )
    op.create_table(
        "job_runs",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("job", sa.String(64), nullable=False),
        sa.Column("trigger", sa.String(32), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("started_at", TZ, nullable=False),
        sa.Column("finished_at", TZ),
        sa.Column("duration_s", sa.Float),
        sa.Column("summary", sa.JSON),
        sa.Column("error_class", sa.String(64)),
        sa.Column("error", sa.Text),
    )
    op.create_index("ix_job_runs_job_started", "job_runs", ["job", "started_at"])


def downgrade() -> None:
    op.drop_table("job_runs")
    op.drop_table("library_items")
    op.drop_table("settings")
