"""match models

Matching models learnt from the register (``crvs dedupe train``), one version per run, at
most one active per event type.

Revision ID: 0007
Revises: 0005
Create Date: 2026-12-04 23:30:00.000000

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = '0007'
down_revision: Union[str, Sequence[str], None] = '0005'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table('match_models',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('event_type', sa.String(length=10), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('source', sa.String(length=20), nullable=False),
    sa.Column('n_records', sa.Integer(), nullable=False),
    sa.Column('model', sa.Text(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_match_models_created_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_match_models')),
    sa.UniqueConstraint('event_type', 'version', name=op.f('uq_match_models_event_type_version'))
    )
    with op.batch_alter_table('match_models', schema=None) as batch_op:
        batch_op.create_index('ix_match_models_event_type_active', ['event_type', 'active'], unique=False)


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table('match_models', schema=None) as batch_op:
        batch_op.drop_index('ix_match_models_event_type_active')
    op.drop_table('match_models')
