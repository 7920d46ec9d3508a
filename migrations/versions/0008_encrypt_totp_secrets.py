"""encrypt totp secrets

Two-step secrets are stored as Fernet tokens (signon.secretbox) under the key the app is configured
with (SIGNON_DATA_KEY, or one derived from SIGNON_SECRET_KEY), so run this with the server's settings.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-05

"""
from alembic import op
import sqlalchemy as sa

from signon import secretbox


# revision identifiers, used by Alembic.
revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None

organizer = sa.table(
    'organizer',
    sa.column('id', sa.Integer()),
    sa.column('email', sa.String()),
    sa.column('totp_secret', sa.String()),
)


def _rewrite(change):
    """Pass every stored secret through change(value) -> new value."""
    connection = op.get_bind()
    rows = connection.execute(
        sa.select(organizer.c.id, organizer.c.email, organizer.c.totp_secret).where(
            organizer.c.totp_secret != ''
        )
    ).all()
    for row in rows:
        connection.execute(
            organizer.update()
            .where(organizer.c.id == row.id)
            .values(totp_secret=change(row.email, row.totp_secret))
        )


def _decrypt(email, token):
    try:
        return secretbox.decrypt(token)
    except secretbox.UnreadableSecret:
        raise RuntimeError(
            f'no configured key opens the two-step secret of {email}: set SIGNON_OLD_DATA_KEYS '
            f'to the key it was encrypted with, or run `signon reset-2fa {email}` first'
        ) from None


def upgrade():
    with op.batch_alter_table('organizer', schema=None) as batch_op:
        batch_op.alter_column(
            'totp_secret',
            existing_type=sa.String(length=64),
            type_=sa.String(length=255),
            existing_nullable=False,
        )
    _rewrite(lambda email, plain: secretbox.encrypt(plain))


def downgrade():
    _rewrite(_decrypt)
    with op.batch_alter_table('organizer', schema=None) as batch_op:
        batch_op.alter_column(
            'totp_secret',
            existing_type=sa.String(length=255),
            type_=sa.String(length=64),
            existing_nullable=False,
        )
