"""partner outreach

Invitations and reminders to partners: a token per email tied to its partner, the outbox message's
partner (a permanent failure marks it bounced), the organizers' texts and reminder schedule on the
letter, and the one reminder an unconfirmed signer gets.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-06

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('letter', schema=None) as batch_op:
        batch_op.add_column(sa.Column('outreach_texts', sa.JSON(), nullable=False, server_default='{}'))
        batch_op.add_column(sa.Column('reminder_days', sa.JSON(), nullable=False, server_default='[]'))
        batch_op.add_column(sa.Column('scheduled_reminder_at', sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table('signature', schema=None) as batch_op:
        batch_op.add_column(sa.Column('reminded_at', sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table('token', schema=None) as batch_op:
        batch_op.add_column(sa.Column('partner_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_token_partner_id'), ['partner_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_token_partner_id_partner'), 'partner', ['partner_id'], ['id'])
    with op.batch_alter_table('outbox_message', schema=None) as batch_op:
        batch_op.add_column(sa.Column('partner_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_outbox_message_partner_id_partner'), 'partner', ['partner_id'], ['id'])


def downgrade():
    with op.batch_alter_table('outbox_message', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_outbox_message_partner_id_partner'), type_='foreignkey')
        batch_op.drop_column('partner_id')
    with op.batch_alter_table('token', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_token_partner_id_partner'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_token_partner_id'))
        batch_op.drop_column('partner_id')
    with op.batch_alter_table('signature', schema=None) as batch_op:
        batch_op.drop_column('reminded_at')
    with op.batch_alter_table('letter', schema=None) as batch_op:
        batch_op.drop_column('scheduled_reminder_at')
        batch_op.drop_column('reminder_days')
        batch_op.drop_column('outreach_texts')
