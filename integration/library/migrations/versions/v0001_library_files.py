"""The first version's schema: the library_files table and its indexes, and the schema_version
table it kept its version in. A database made by that version is stamped with this revision.

Revision ID: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision: str | None = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "library_files",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("path", sa.String(4096), nullable=False, unique=True),
        sa.Column("root", sa.String(4096), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("mtime", sa.Float(), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=True),
        sa.Column("status", sa.String(8), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("duration", sa.Float(), nullable=True),
        sa.Column("format", sa.String(16), nullable=True),
        sa.Column("sample_rate", sa.Integer(), nullable=True),
        sa.Column("channels", sa.Integer(), nullable=True),
        sa.Column("tempo", sa.Float(), nullable=True),
        sa.Column("meter", sa.String(16), nullable=True),
        sa.Column("key", sa.String(16), nullable=True),
        sa.Column("key_confidence", sa.Float(), nullable=True),
        sa.Column("camelot", sa.String(3), nullable=True),
        sa.Column("loudness_lufs", sa.Float(), nullable=True),
        sa.Column("beats", sa.Integer(), nullable=True),
        sa.Column("chords", sa.Text(), nullable=True),
        sa.Column("analysed_at", sa.DateTime(timezone=True), nullable=False),
    )
    for column in ("key", "tempo", "camelot", "root"):
        op.create_index(f"ix_library_files_{column}", "library_files", [column])
    schema_version = op.create_table(
        "schema_version",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("version", sa.Integer(), nullable=False),
    )
    op.bulk_insert(schema_version, [{"id": 1, "version": 1}])


def downgrade() -> None:
    op.drop_table("schema_version")
    op.drop_table("library_files")
