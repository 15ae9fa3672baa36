"""four eyes: correction requests and approvals of delayed registrations

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-05 00:10:00.000000

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa

from sqlalchemy.dialects import postgresql


# revision identifiers, used by Alembic.
revision: str = '0012'
down_revision: Union[str, Sequence[str], None] = '0011'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table(
        'correction_requests',
        sa.Column('id', sa.String(length=36), nullable=False),
        sa.Column('record_id', sa.String(length=36), nullable=False),
        sa.Column('event_type', sa.String(length=10), nullable=False),
        sa.Column('area_path', sa.String(length=1024), nullable=False),
        sa.Column('base_version', sa.Integer(), nullable=False),
        sa.Column('changes', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
        sa.Column('reason', sa.Text(), nullable=False),
        sa.Column('evidence', sa.Text(), nullable=False),
        sa.Column('requested_by', sa.String(length=200), nullable=False),
        sa.Column('requester_id', sa.Integer(), nullable=False),
        sa.Column('status', sa.String(length=12), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('decided_by_id', sa.Integer(), nullable=True),
        sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('rejection_reason', sa.Text(), nullable=True),
        sa.Column('version', sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(['decided_by_id'], ['users.id'], name=op.f('fk_correction_requests_decided_by_id_users')),
        sa.ForeignKeyConstraint(['record_id'], ['records.id'], name=op.f('fk_correction_requests_record_id_records')),
        sa.ForeignKeyConstraint(['requester_id'], ['users.id'], name=op.f('fk_correction_requests_requester_id_users')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_correction_requests')),
    )
    op.create_index(op.f('ix_correction_requests_record_id'), 'correction_requests', ['record_id'])
    op.create_index(op.f('ix_correction_requests_status'), 'correction_requests', ['status'])
    op.create_table(
        'delayed_approvals',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('record_id', sa.String(length=36), nullable=False),
        sa.Column('record_version', sa.Integer(), nullable=False),
        sa.Column('approved_by_id', sa.Integer(), nullable=False),
        sa.Column('approved_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('note', sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(['approved_by_id'], ['users.id'], name=op.f('fk_delayed_approvals_approved_by_id_users')),
        sa.ForeignKeyConstraint(['record_id'], ['records.id'], name=op.f('fk_delayed_approvals_record_id_records')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_delayed_approvals')),
        sa.UniqueConstraint('record_id', 'record_version', name=op.f('uq_delayed_approvals_record_id_record_version')),
    )


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_table('delayed_approvals')
    op.drop_index(op.f('ix_correction_requests_status'), table_name='correction_requests')
    op.drop_index(op.f('ix_correction_requests_record_id'), table_name='correction_requests')
    op.drop_table('correction_requests')
