"""sign again after withdrawal

A withdrawn signature is no longer reused when its signer signs again: the one-per-signer rule
becomes a partial unique index over signatures that are not withdrawn, and a new signature points
at the withdrawn one it follows.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-06

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None

STANDING = sa.text("status != 'withdrawn'")


def upgrade():
    with op.batch_alter_table('signature', schema=None) as batch_op:
        batch_op.add_column(sa.Column('previous_id', sa.Integer(), nullable=True))
        batch_op.drop_constraint(batch_op.f('uq_signature_letter_id_email_normalized_organization_key'), type_='unique')
        batch_op.create_unique_constraint(batch_op.f('uq_signature_previous_id'), ['previous_id'])
        batch_op.create_foreign_key(batch_op.f('fk_signature_previous_id_signature'), 'signature', ['previous_id'], ['id'])

    op.create_index('uq_signature_standing_signer', 'signature', ['letter_id', 'email_normalized', 'organization_key'], unique=True, sqlite_where=STANDING, postgresql_where=STANDING)


def downgrade():
    # The old rule (one signature per signer, whatever its state) cannot hold once a signer has
    # signed again after withdrawing; merging their signatures would rewrite what they said.
    repeated = op.get_bind().execute(sa.text(
        "SELECT count(*) FROM (SELECT 1 FROM signature"
        " GROUP BY letter_id, email_normalized, organization_key HAVING count(*) > 1) AS repeated"
    )).scalar_one()
    if repeated:
        raise RuntimeError(
            f"Cannot downgrade below {revision}: {repeated} signer(s) signed again after withdrawing, so "
            "a letter holds several signatures of the same email and organization, which the "
            "earlier schema forbids. Keep this revision, or erase or delete those signatures first."
        )
    op.drop_index('uq_signature_standing_signer', table_name='signature', sqlite_where=STANDING, postgresql_where=STANDING)

    with op.batch_alter_table('signature', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_signature_previous_id_signature'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('uq_signature_previous_id'), type_='unique')
        batch_op.create_unique_constraint(batch_op.f('uq_signature_letter_id_email_normalized_organization_key'), ['letter_id', 'email_normalized', 'organization_key'])
        batch_op.drop_column('previous_id')
