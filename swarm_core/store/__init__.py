"""Persistence: SQLModel tables over SQLite (WAL) or any SQLAlchemy URL."""

__all__: list[str] = []
