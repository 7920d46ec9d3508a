"""an index on the signer: email, letter, organization

Signing reads a signer's earlier signatures on a letter and counts the confirmation links sent to
the address today; without this index both scanned every signature of the letter or every token.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-06

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('signature', schema=None) as batch_op:
        batch_op.create_index(
            'ix_signature_signer', ['email_normalized', 'letter_id', 'organization_key'], unique=False
        )


def downgrade():
    with op.batch_alter_table('signature', schema=None) as batch_op:
        batch_op.drop_index('ix_signature_signer')
