"""embargo

A letter can collect signatures under embargo: the list (and, if the organizer asks, its count)
stays private until launch, by a button or at a scheduled time. Each letter gets a private
share-link code that shows partners the list before launch; existing letters get one each.

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-09

"""
import secrets

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0018'
down_revision = '0017'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('letter', schema=None) as batch_op:
        batch_op.add_column(sa.Column('embargoed', sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.add_column(sa.Column('embargo_hides_count', sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.add_column(sa.Column('reveal_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('revealed_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('list_share_code', sa.String(length=16), nullable=True))
    letter = sa.table('letter', sa.column('id', sa.Integer), sa.column('list_share_code', sa.String))
    connection = op.get_bind()
    for (letter_id,) in connection.execute(sa.select(letter.c.id)).all():
        connection.execute(
            letter.update().where(letter.c.id == letter_id).values(list_share_code=secrets.token_urlsafe(9))
        )
    with op.batch_alter_table('letter', schema=None) as batch_op:
        batch_op.alter_column('list_share_code', existing_type=sa.String(length=16), nullable=False)
        batch_op.create_unique_constraint(batch_op.f('uq_letter_list_share_code'), ['list_share_code'])


def downgrade():
    with op.batch_alter_table('letter', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_letter_list_share_code'), type_='unique')
        batch_op.drop_column('list_share_code')
        batch_op.drop_column('revealed_at')
        batch_op.drop_column('reveal_at')
        batch_op.drop_column('embargo_hides_count')
        batch_op.drop_column('embargoed')
