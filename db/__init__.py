"""The internal schema: SQLAlchemy 2 models, engine and sessions, migrations, classifiers."""
