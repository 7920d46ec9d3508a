"""outbox leases

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-05

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('outbox_message', schema=None) as batch_op:
        batch_op.add_column(sa.Column('letter_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('claimed_by', sa.String(length=100), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('lease_until', sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index(batch_op.f('ix_outbox_message_letter_id'), ['letter_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_outbox_message_letter_id_letter'), 'letter', ['letter_id'], ['id'])
        batch_op.drop_column('claimed_at')
    # A claim taken under the old scheme has no lease: hand the message back to the queue.
    op.execute("UPDATE outbox_message SET status = 'pending' WHERE status = 'sending'")


def downgrade():
    op.execute("UPDATE outbox_message SET status = 'pending' WHERE status = 'sending'")
    with op.batch_alter_table('outbox_message', schema=None) as batch_op:
        batch_op.add_column(sa.Column('claimed_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.drop_constraint(batch_op.f('fk_outbox_message_letter_id_letter'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_outbox_message_letter_id'))
        batch_op.drop_column('lease_until')
        batch_op.drop_column('claimed_by')
        batch_op.drop_column('letter_id')
