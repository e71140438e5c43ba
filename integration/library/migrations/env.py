"""Alembic's environment: the migrations run on the connection the store hands over in
``config.attributes["connection"]`` (inside the store's transaction)."""

from alembic import context

from integration.library.models import Base

if context.is_offline_mode():
    raise RuntimeError("the library's migrations run online only, on the store's connection")

connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=connection.dialect.name == "sqlite",  # SQLite alters a table by copying it
)
with context.begin_transaction():
    context.run_migrations()
