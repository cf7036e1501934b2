"""The database: engine, tables, records, lockouts and report queries, with their migrations."""
