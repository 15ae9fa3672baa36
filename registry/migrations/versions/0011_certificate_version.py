"""certificate numbering constraints and a public revocation category

The ledger already keeps ``record_version``, the version of the record each certificate was
printed from (since 0003, NOT NULL, so no existing row is of an unknown version):
verification compares it with the record's current version to report certificates superseded
by a correction. This revision adds:

- ``revocation_category``: what the public is told about a revocation (the registrar's free
  text stays internal); NULL on rows revoked before it, shown as "revoked, no reason given";
- a UNIQUE constraint on (record_id, copy_number) and a unique index on (record_id, reprint)
  for originals (copy_number IS NULL), so two certificates of a record never share a number.

A ledger that already holds duplicate numbers (issued concurrently before issuing locked the
record) cannot take the constraints: the upgrade stops and names the records, since the
numbers are printed on paper and are not renumbered silently.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-04 23:30:00.000000

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = '0011'
down_revision: Union[str, Sequence[str], None] = '0010'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


DUPLICATES = """
SELECT record_id FROM issued_certificates WHERE copy_number IS NOT NULL
GROUP BY record_id, copy_number HAVING COUNT(*) > 1
UNION
SELECT record_id FROM issued_certificates WHERE copy_number IS NULL
GROUP BY record_id, reprint HAVING COUNT(*) > 1
"""


def upgrade() -> None:
    """Upgrade schema."""
    clashes = [row[0] for row in op.get_bind().execute(sa.text(DUPLICATES))]
    if clashes:
        raise RuntimeError(
            f"{len(clashes)} record(s) have certificates sharing a copy or reprint number "
            f"(first: {', '.join(clashes[:5])}); resolve them in the ledger by hand "
            "(the numbers are printed on paper) before upgrading"
        )
    with op.batch_alter_table('issued_certificates', schema=None) as batch_op:
        batch_op.add_column(sa.Column('revocation_category', sa.String(length=40), nullable=True))
        batch_op.create_unique_constraint(
            'uq_issued_certificates_record_id_copy_number', ['record_id', 'copy_number']
        )
        batch_op.create_index(
            'uq_issued_certificates_original_reprint',
            ['record_id', 'reprint'],
            unique=True,
            sqlite_where=sa.text('copy_number IS NULL'),
            postgresql_where=sa.text('copy_number IS NULL'),
        )


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table('issued_certificates', schema=None) as batch_op:
        batch_op.drop_index('uq_issued_certificates_original_reprint')
        batch_op.drop_constraint('uq_issued_certificates_record_id_copy_number', type_='unique')
        batch_op.drop_column('revocation_category')
