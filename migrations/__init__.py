"""The core's Alembic environment; plugins keep their own branches in their packages."""
