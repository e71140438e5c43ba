"""File sizes as 64-bit integers: PostgreSQL's INTEGER (like MySQL's) stops at 2**31 - 1 bytes, and
long multichannel recordings pass 2 GiB. SQLite's INTEGER already holds 64 bits: nothing to change there.

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision: str | None = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        op.alter_column(
            "library_files", "size", type_=sa.BigInteger(), existing_type=sa.Integer(), existing_nullable=False
        )


def downgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        op.alter_column(
            "library_files", "size", type_=sa.Integer(), existing_type=sa.BigInteger(), existing_nullable=False
        )
