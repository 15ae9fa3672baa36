"""record event date and sex

The current version's event date and sex, kept on the records head so that statistics count
one table; filled here from the current versions of existing records.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-22 03:00:00.000000

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = '0005'
down_revision: Union[str, Sequence[str], None] = '0004'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


BACKFILL_POSTGRESQL = """
UPDATE records SET event_date = v.event_date, sex = v.sex
FROM record_versions v
WHERE v.record_id = records.id AND v.version = records.version
"""

BACKFILL_OTHER = """
UPDATE records SET
    event_date = (SELECT v.event_date FROM record_versions v
                  WHERE v.record_id = records.id AND v.version = records.version),
    sex = (SELECT v.sex FROM record_versions v
           WHERE v.record_id = records.id AND v.version = records.version)
"""


def upgrade() -> None:
    """Upgrade schema."""
    with op.batch_alter_table('records', schema=None) as batch_op:
        batch_op.add_column(sa.Column('event_date', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('sex', sa.String(length=10), nullable=True))

    bind = op.get_bind()
    op.execute(BACKFILL_POSTGRESQL if bind.dialect.name == 'postgresql' else BACKFILL_OTHER)

    with op.batch_alter_table('records', schema=None) as batch_op:
        batch_op.create_index('ix_records_type_status_event_date', ['event_type', 'status', 'event_date'], unique=False)


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table('records', schema=None) as batch_op:
        batch_op.drop_index('ix_records_type_status_event_date')
        batch_op.drop_column('sex')
        batch_op.drop_column('event_date')
