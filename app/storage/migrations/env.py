"""Alembic's entry point: migrate the connection app.storage.database.upgrade() hands over."""

from alembic import context

from app.storage.tables import metadata

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("Run migrations with `flask db upgrade`, which supplies the database connection.")

context.configure(connection=connection, target_metadata=metadata)
with context.begin_transaction():
    context.run_migrations()
