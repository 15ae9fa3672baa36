"""marshmallow schemas: the one validation and serialisation boundary (no database)."""
