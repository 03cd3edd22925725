"""Storage: SQLAlchemy models (``models``), engines and sessions (``db``), batched idempotent reads
and writes (``repository``), Alembic migrations (``migrations``) and the ``db``/``reclassify``
commands (``commands``). Importing the package opens nothing."""
