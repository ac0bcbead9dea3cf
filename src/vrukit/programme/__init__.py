"""The programme platform: the registry of organisations, interventions and places, monitoring
returns with their full history, training records, users and the audit trail.

Operational records live in a relational store through SQLAlchemy 2 (``models``), its schema
managed by Alembic migrations (``db.upgrade``): a SQLite file by default, PostgreSQL when the
store is shared.
"""
