"""The database: its handle, the column types every model shares, the models, migrations."""
