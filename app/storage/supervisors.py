"""The supervisors who may log in to /admin, by name, each with a password hash; and the audit log of what they did."""

import sqlalchemy

from app.storage.records import now
from app.storage.tables import audit_log, supervisors

# What the command line is called in the audit log.
COMMAND_LINE = "(command line)"


def password_hash(connection, name):
    """The named supervisor's password hash, or None."""
    query = sqlalchemy.select(supervisors.c.password_hash).where(supervisors.c.name == name)
    return connection.execute(query).scalar_one_or_none()


def any_named(connection):
    """True once a supervisor is stored: the settings' login (ADMIN_USERNAME) no longer counts."""
    return connection.execute(sqlalchemy.select(supervisors.c.name).limit(1)).first() is not None


def names(connection):
    return list(connection.execute(sqlalchemy.select(supervisors.c.name).order_by(supervisors.c.name)).scalars())


def add(connection, name, hashed):
    """Store a new supervisor; False if the name is taken."""
    if password_hash(connection, name) is not None:
        return False
    connection.execute(supervisors.insert().values(name=name, password_hash=hashed, created_at=now()))
    return True


def remove(connection, name):
    """False if there was no such supervisor."""
    return connection.execute(supervisors.delete().where(supervisors.c.name == name)).rowcount > 0


def set_password(connection, name, hashed):
    """False if there is no such supervisor."""
    return connection.execute(supervisors.update().where(supervisors.c.name == name).values(password_hash=hashed)).rowcount > 0


def audit(connection, actor, action, subject="", subject_hash=None, address=""):
    """Note what a supervisor did. `subject` is a masked number, a name or a period, never a number, code or password."""
    connection.execute(
        audit_log.insert().values(
            at=now(), actor=actor[:64], action=action, subject=subject[:64], subject_hash=subject_hash, address=(address or "")[:64]
        )
    )


def audit_entries(connection, offset=0, limit=None):
    """The audit log, latest first, as dicts."""
    query = sqlalchemy.select(audit_log).order_by(audit_log.c.at.desc(), audit_log.c.id.desc()).offset(offset).limit(limit)
    return [dict(row) for row in connection.execute(query).mappings()]
