"""Storage: SQLModel tables, typed CRUD and Alembic migrations (SQLite default, PostgreSQL prod)."""
