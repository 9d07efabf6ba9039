from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from marketloop.appdb import Base, open_app_db
from marketloop.content import tables


def test_the_content_migration_matches_the_models(tmp_path: Path) -> None:
    engine = open_app_db(f"sqlite:///{tmp_path / 'app.db'}")
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        diff = compare_metadata(context, Base.metadata)
    ours = [d for d in diff if "content_" in repr(d)]
    assert ours == [], ours
    assert tables.LlmCall.__tablename__ == "content_llm_calls"
