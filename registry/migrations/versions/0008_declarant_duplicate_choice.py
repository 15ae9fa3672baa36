"""declarant duplicate choice

What the declarant answered when the declaration form showed possible existing records before
saving: "same" (with the record chosen) or "different". Shown to the registrar who decides.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-04 23:20:00.000000

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = '0008'
down_revision: Union[str, Sequence[str], None] = '0007'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    with op.batch_alter_table('records', schema=None) as batch_op:
        batch_op.add_column(sa.Column('declarant_duplicate_choice', sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column('declarant_duplicate_record_id', sa.String(length=36), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_records_declarant_duplicate_record_id_records'), 'records', ['declarant_duplicate_record_id'], ['id'])


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table('records', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_records_declarant_duplicate_record_id_records'), type_='foreignkey')
        batch_op.drop_column('declarant_duplicate_record_id')
        batch_op.drop_column('declarant_duplicate_choice')
