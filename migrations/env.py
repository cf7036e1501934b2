"""Alembic's entry point: migrate the connection app.database.upgrade() hands over."""

from alembic import context

from app.tables import metadata

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("Run migrations with `flask db upgrade`, which supplies the database connection.")

context.configure(connection=connection, target_metadata=metadata)
with context.begin_transaction():
    context.run_migrations()
