"""partners

The organizations a letter's coalition wants to sign it: contact, owner, the outreach done, and
the signature that answered it.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-06

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('partner',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('letter_id', sa.Integer(), nullable=False),
    sa.Column('organization', sa.String(length=200), nullable=False),
    sa.Column('organization_key', sa.String(length=200), nullable=False),
    sa.Column('contact_name', sa.String(length=120), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('email_normalized', sa.String(length=254), nullable=False),
    sa.Column('category', sa.String(length=120), nullable=False),
    sa.Column('notes', sa.Text(), nullable=False),
    sa.Column('owner_id', sa.Integer(), nullable=True),
    sa.Column('signature_id', sa.Integer(), nullable=True),
    sa.Column('match_kind', sa.String(length=16), nullable=False),
    sa.Column('invited_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('reminded_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('declined_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('decline_reason', sa.String(length=500), nullable=False),
    sa.Column('unsubscribed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('bounced_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['letter_id'], ['letter.id'], name=op.f('fk_partner_letter_id_letter')),
    sa.ForeignKeyConstraint(['owner_id'], ['organizer.id'], name=op.f('fk_partner_owner_id_organizer')),
    sa.ForeignKeyConstraint(['signature_id'], ['signature.id'], name=op.f('fk_partner_signature_id_signature')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_partner')),
    sa.UniqueConstraint('letter_id', 'organization_key', name=op.f('uq_partner_letter_id_organization_key'))
    )
    with op.batch_alter_table('partner', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_partner_signature_id'), ['signature_id'], unique=False)
        batch_op.create_index('uq_partner_letter_email', ['letter_id', 'email_normalized'], unique=True, sqlite_where=sa.text("email_normalized != ''"), postgresql_where=sa.text("email_normalized != ''"))


def downgrade():
    with op.batch_alter_table('partner', schema=None) as batch_op:
        batch_op.drop_index('uq_partner_letter_email', sqlite_where=sa.text("email_normalized != ''"), postgresql_where=sa.text("email_normalized != ''"))
        batch_op.drop_index(batch_op.f('ix_partner_signature_id'))

    op.drop_table('partner')
