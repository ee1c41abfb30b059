"""Database gateway: engine, schema and migrations, and one repository module per domain."""
