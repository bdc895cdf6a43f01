"""matching: library item keys; request runtime and language

Revision ID: 0005
Revises: 0003
"""
import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "library_item_keys",
        sa.Column("key", sa.String(64), primary_key=True),
        sa.Column("item_id", sa.Integer, sa.ForeignKey("library_items.id", ondelete="CASCADE"), primary_key=True),
        sqlite_with_rowid=False,
    )
    op.create_index("ix_library_item_keys_item", "library_item_keys", ["item_id"])
    with op.batch_alter_table("requests") as batch:
        batch.add_column(sa.Column("duration_ms", sa.BigInteger))
        batch.add_column(sa.Column("language", sa.String(35)))
    # The keys are derived from the rows: existing mirrors get theirs now.
    from plugin.matching.candidates import backfill_keys

    backfill_keys(op.get_bind())


def downgrade() -> None:
    with op.batch_alter_table("requests") as batch:
        batch.drop_column("language")
        batch.drop_column("duration_ms")
    op.drop_index("ix_library_item_keys_item", "library_item_keys")
    op.drop_table("library_item_keys")
