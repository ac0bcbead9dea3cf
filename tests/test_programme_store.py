"""The programme store on SQLite and on a real PostgreSQL server: the migrations build exactly
the models' schema, the registry round-trips, the constraints hold on both, and a monitoring
return's history is kept (a resubmission never overwrites)."""

from __future__ import annotations

from datetime import date, datetime

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from vrukit.directory import models as _directory  # noqa: F401 - its tables share the store
from vrukit.programme.db import alembic_config, engine, upgrade
from vrukit.programme.models import (
    Base,
    Board,
    BoardMember,
    Indicator,
    Intervention,
    Organisation,
    Place,
    PlaceArea,
    ReturnRow,
    ReturnSubmission,
    ReturnTemplate,
    TheoryStep,
    TrainingRecord,
    TrainingScore,
    User,
)


@pytest.fixture
def db(store_url):
    upgrade(store_url)
    eng = engine(store_url)
    yield eng
    eng.dispose()


def _registry(s: Session) -> Intervention:
    club = Organisation(name="Eastford Boxing Club", kind="provider")
    vru = Organisation(name="Demo VRU", kind="vru")
    place = Place(name="Eastford Canalside", start_date=date(2020, 10, 1))
    place.areas = [PlaceArea(lsoa_code=c) for c in ("E01900001", "E01900002")]
    s.add_all([club, vru, place])
    s.flush()
    iv = Intervention(
        name="Sports Diversion & Impact Programme",
        provider=club,
        thematic_area="sport",
        prevention_tier="secondary",
        setting="community",
        yef_strand="Sports programmes",
        yef_impact="moderate",
        funding=120000.0,
        contract_start=date(2021, 4, 1),
        contract_end=date(2023, 3, 31),
        place_id=place.id,
    )
    act = TheoryStep(stage="activity", text="weekly sessions with mentoring")
    out = TheoryStep(stage="output", text="young people attend regularly")
    out.indicators = [Indicator(name="attendance", return_field="sessions_attended", target=8)]
    iv.theory = [act, out]
    s.add(iv)
    board = Board(name="Canalside network", kind="network", place_id=place.id)
    s.add(board)
    s.flush()
    out.leads_from_id = act.id
    board.members = [BoardMember(organisation_id=club.id, role="delivery")]
    return iv


def test_migrations_build_exactly_the_models_schema(store_url, db):
    with db.connect() as c:
        diff = compare_metadata(MigrationContext.configure(c), Base.metadata)
    assert diff == [], diff
    assert set(inspect(db).get_table_names()) >= set(Base.metadata.tables)
    command.downgrade(alembic_config(store_url), "base")
    assert not set(inspect(db).get_table_names()) & set(Base.metadata.tables)
    upgrade(store_url)  # and up again: migrations are repeatable


def test_registry_round_trips(db):
    with Session(db) as s, s.begin():
        _registry(s)
    with Session(db) as s:
        iv = s.scalars(select(Intervention)).one()
        assert iv.provider.name == "Eastford Boxing Club" and iv.yef_impact == "moderate"
        stages = {t.stage: t for t in iv.theory}
        assert stages["output"].leads_from_id == stages["activity"].id
        assert stages["output"].indicators[0].target == 8
        place = s.get(Place, iv.place_id)
        assert place is not None and sorted(a.lsoa_code for a in place.areas) == [
            "E01900001",
            "E01900002",
        ]
        board = s.scalars(select(Board)).one()
        assert [m.role for m in board.members] == ["delivery"]


@pytest.mark.parametrize(
    "bad",
    [
        lambda s, iv: Intervention(
            name="x",
            provider_id=iv.provider_id,
            thematic_area="knitting",
            prevention_tier="primary",
            contract_start=date(2021, 1, 1),
        ),
        lambda s, iv: Intervention(
            name="y",
            provider_id=iv.provider_id,
            thematic_area="health",
            prevention_tier="primary",
            contract_start=date(2021, 1, 1),
            contract_end=date(2020, 1, 1),
        ),
        lambda s, iv: Intervention(
            name="z",
            provider_id=99999,
            thematic_area="health",
            prevention_tier="primary",
            contract_start=date(2021, 1, 1),
        ),
        lambda s, iv: User(email="p@x", password_hash="h", role="provider"),
        lambda s, iv: Organisation(name="Eastford Boxing Club", kind="provider"),
        lambda s, iv: TrainingRecord(
            intervention_id=iv.id,
            organisation_id=iv.provider_id,
            participant_ref="P1",
            trained_on=date(2021, 5, 1),
            scores=[TrainingScore(statement="s", pre=6, post=3)],
        ),
    ],
    ids=[
        "thematic-area",
        "contract-dates",
        "foreign-key",
        "provider-org",
        "unique-name",
        "score-range",
    ],
)
def test_constraints_hold_on_both_backends(db, bad):
    with Session(db) as s, s.begin():
        _registry(s)
    with Session(db) as s:
        iv = s.scalars(select(Intervention)).one()
        s.add(bad(s, iv))
        with pytest.raises(IntegrityError):
            s.flush()


def test_a_resubmitted_return_keeps_its_history(db):
    with Session(db) as s, s.begin():
        iv = _registry(s)
        t = ReturnTemplate(
            intervention_id=iv.id, version=1, fields=[{"name": "young_people", "type": "integer"}]
        )
        s.add(t)
        s.flush()
        first = ReturnSubmission(
            intervention_id=iv.id,
            organisation_id=iv.provider_id,
            template_id=t.id,
            period="2021-Q2",
            submitted_at=datetime(2021, 7, 10),
            source="upload",
            rows=[ReturnRow(row_number=1, data={"young_people": 40})],
        )
        s.add(first)
        s.flush()
        again = ReturnSubmission(
            intervention_id=iv.id,
            organisation_id=iv.provider_id,
            template_id=t.id,
            period="2021-Q2",
            submitted_at=datetime(2021, 7, 20),
            source="form",
            supersedes_id=first.id,
            rows=[ReturnRow(row_number=1, data={"young_people": 42})],
        )
        s.add(again)
        s.flush()
        ids = (first.id, again.id)
    with Session(db) as s:
        subs = s.scalars(select(ReturnSubmission).order_by(ReturnSubmission.id)).all()
        assert [x.id for x in subs] == list(ids)
        assert [x.rows[0].data["young_people"] for x in subs] == [40, 42]
        # a second correction of the same return must supersede the latest, not fork history
        s.add(
            ReturnSubmission(
                intervention_id=subs[0].intervention_id,
                organisation_id=subs[0].organisation_id,
                template_id=subs[0].template_id,
                period="2021-Q2",
                submitted_at=datetime(2021, 8, 1),
                source="form",
                supersedes_id=ids[0],
            )
        )
        with pytest.raises(IntegrityError):
            s.flush()
        s.rollback()
        s.add(
            ReturnSubmission(
                intervention_id=subs[0].intervention_id,
                organisation_id=subs[0].organisation_id,
                template_id=subs[0].template_id,
                period="2021-Q5",
                submitted_at=datetime(2021, 8, 1),
                source="form",
            )
        )
        with pytest.raises(IntegrityError):
            s.flush()


def test_upgrading_a_store_that_holds_data_keeps_it(store_url):
    """Migration 0004 on a store already in use: other tables' foreign keys point at
    ``organisation``, so it must add its column in place (a rebuilt table could not be
    dropped on SQLite); rows survive and the new flag starts false."""
    from sqlalchemy import text

    upgrade(store_url, "0003")
    eng = engine(store_url)
    with eng.begin() as c:
        c.execute(text("INSERT INTO organisation (id, name, kind) VALUES (1, 'Club', 'provider')"))
        user = ("INSERT INTO app_user (email, password_hash, role, organisation_id, active) "
                "VALUES ('p@x.org', '-', 'provider', 1, :yes)")  # fmt: skip
        c.execute(text(user), {"yes": True})
    upgrade(store_url)
    with Session(eng) as s:
        org = s.get(Organisation, 1)
        assert org is not None and org.name == "Club" and org.verifies_directory is False
        assert s.scalars(select(User)).one().organisation_id == 1
    eng.dispose()


def test_a_migration_that_fails_changes_nothing(store_url):
    """A failure in a migration's last step rolls back its first: the store stays at the old
    revision with none of the new tables (SQLite too, where Python runs DDL outside a
    transaction unless told otherwise)."""
    from sqlalchemy import text

    upgrade(store_url, "0003")
    eng = engine(store_url)
    with eng.begin() as c:  # 0004 ends by adding this column: make that step fail
        c.execute(text("ALTER TABLE organisation ADD COLUMN verifies_directory INTEGER"))
    with pytest.raises(Exception, match="verifies_directory"):
        upgrade(store_url)
    tables = set(inspect(eng).get_table_names())
    assert "dir_state" not in tables and "dir_edit" not in tables
    with eng.connect() as c:
        assert c.execute(text("SELECT version_num FROM alembic_version")).scalar() == "0003"
    eng.dispose()
