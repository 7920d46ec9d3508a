"""signature sources

Where each signature came from: its kind (direct, a co-host's share link, a partner's invitation,
a ref name, or an organizer), the co-host whose link it was, and each host's share-link code.
Existing signatures an organizer added become "organizer", those matched by an invitation link
"invitation", the rest "direct"; every existing host gets a code.

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-08

"""
import secrets

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0017'
down_revision = '0016'
branch_labels = None
depends_on = None

# Before this revision an invitation was recorded as this text in signature.source.
INVITATION = 'invitation'


def upgrade():
    with op.batch_alter_table('signature', schema=None) as batch_op:
        batch_op.add_column(sa.Column('source_kind', sa.String(length=16), nullable=False, server_default='direct'))
        batch_op.add_column(sa.Column('source_host_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_signature_source_host_id_organizer'), 'organizer', ['source_host_id'], ['id'])
    signature = sa.table(
        'signature',
        sa.column('source_kind', sa.String),
        sa.column('source', sa.String),
        sa.column('added_by_id', sa.Integer),
    )
    op.execute(
        signature.update()
        .where(signature.c.added_by_id.is_not(None))
        .values(source_kind='organizer')
    )
    op.execute(
        signature.update()
        .where(signature.c.added_by_id.is_(None), signature.c.source == INVITATION)
        .values(source_kind='invitation', source='')
    )

    with op.batch_alter_table('letter_host', schema=None) as batch_op:
        batch_op.add_column(sa.Column('share_code', sa.String(length=16), nullable=True))
    host = sa.table(
        'letter_host',
        sa.column('letter_id', sa.Integer),
        sa.column('organizer_id', sa.Integer),
        sa.column('share_code', sa.String),
    )
    connection = op.get_bind()
    for letter_id, organizer_id in connection.execute(sa.select(host.c.letter_id, host.c.organizer_id)).all():
        connection.execute(
            host.update()
            .where(host.c.letter_id == letter_id, host.c.organizer_id == organizer_id)
            .values(share_code=secrets.token_urlsafe(9))
        )
    with op.batch_alter_table('letter_host', schema=None) as batch_op:
        batch_op.alter_column('share_code', existing_type=sa.String(length=16), nullable=False)
        batch_op.create_unique_constraint(batch_op.f('uq_letter_host_share_code'), ['share_code'])


def downgrade():
    with op.batch_alter_table('letter_host', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_letter_host_share_code'), type_='unique')
        batch_op.drop_column('share_code')
    signature = sa.table(
        'signature',
        sa.column('source_kind', sa.String),
        sa.column('source', sa.String),
    )
    op.execute(
        signature.update()
        .where(signature.c.source_kind == 'invitation', signature.c.source == '')
        .values(source=INVITATION)
    )
    with op.batch_alter_table('signature', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_signature_source_host_id_organizer'), type_='foreignkey')
        batch_op.drop_column('source_host_id')
        batch_op.drop_column('source_kind')
