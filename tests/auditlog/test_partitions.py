"""Log tables partitioned by month on PostgreSQL: layout, inserts, drops by the purge, the chain."""

import uuid
from datetime import UTC, date, datetime, timedelta

import pytest
from django.db import DatabaseError, IntegrityError, connection, transaction
from django.utils import timezone

from auditlog import chain, partitions, services
from auditlog.models import AccessLog, NodeEvent, PurgeCheckpoint
from tests.owner import as_owner

pytestmark = pytest.mark.usefixtures("postgres")

TABLES = ("auditlog_accesslog", "auditlog_securityevent", "auditlog_nodeevent")


def _month(offset: int) -> date:
    return partitions.add_months(timezone.now().astimezone(UTC).date(), offset)


def _at(month: date, day: int = 10) -> datetime:
    return datetime(month.year, month.month, day, 12, tzinfo=UTC)


def _log(when: datetime, n: int = 1, path: str = "/p") -> None:
    chain.append(
        AccessLog,
        [
            {
                "occurred_at": when + timedelta(seconds=i),
                "ip": "192.0.2.1",
                "method": "GET",
                "path": f"{path}{i}",
                "status": 200,
                "duration_ms": 1,
            }
            for i in range(n)
        ],
    )


def _add_partition(month: date, table: str = "auditlog_accesslog") -> None:
    """Create an older month's partition, as the owner (the conversion does so)."""
    as_owner(
        "SELECT auditlog_add_partition(%s, %s, %s, %s)",
        [table, table, partitions.LOGS[table], month],
    )


def _names(table: str = "auditlog_accesslog") -> list[str]:
    return [p.name for p in partitions.partitions(table)]


def _partition_of(row_id: int) -> str:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT tableoid::regclass::text FROM auditlog_accesslog WHERE id = %s",
            [row_id],
        )
        return cursor.fetchone()[0]


def _checks(problems: list) -> list[tuple[str, str]]:
    return [(table, p.kind) for table, p in problems]


@pytest.mark.parametrize("table", TABLES)
def test_each_log_table_is_partitioned_by_month_with_months_ahead_and_a_default(table):
    assert partitions.is_partitioned(table)
    found = partitions.partitions(table)
    months = [_month(m) for m in range(partitions.MONTHS_AHEAD + 1)]
    names = [p.name for p in found]
    # (test_partition_logs may have left older months behind in this test database.)
    assert names[-len(months) - 1 :] == [
        *(f"{table}_p{m:%Y%m}" for m in months),
        f"{table}_default",
    ]
    this_month = found[names.index(f"{table}_p{months[0]:%Y%m}")]
    assert this_month.lower == _at(months[0], 1).replace(hour=0)
    assert this_month.upper == _at(months[1], 1).replace(hour=0)
    assert found[-1].lower is None
    assert found[-1].upper is None
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_get_constraintdef(oid) FROM pg_constraint "
            "WHERE conrelid = %s::regclass AND contype = 'p'",
            [table],
        )
        assert cursor.fetchone()[0] == f"PRIMARY KEY (id, {partitions.LOGS[table]})"


def test_an_insert_never_fails_for_lack_of_a_partition_and_a_new_month_takes_its_rows():
    long_ago = _month(-30)
    far_ahead = _month(40)
    _log(_at(long_ago), 2)
    _log(timezone.now())
    _log(_at(far_ahead))
    rows = list(AccessLog.objects.order_by("id"))
    assert [_partition_of(r.pk) for r in rows] == [
        "auditlog_accesslog_default",
        "auditlog_accesslog_default",
        f"auditlog_accesslog_p{_month(0):%Y%m}",
        "auditlog_accesslog_default",
    ]
    _add_partition(long_ago)
    assert _partition_of(rows[0].pk) == f"auditlog_accesslog_p{long_ago:%Y%m}"
    assert _partition_of(rows[1].pk) == f"auditlog_accesslog_p{long_ago:%Y%m}"
    assert _partition_of(rows[3].pk) == "auditlog_accesslog_default"
    assert list(AccessLog.objects.order_by("id")) == rows
    assert list(chain.verify(AccessLog)) == []


def test_the_daily_maintenance_creates_the_coming_months_as_the_runtime_role(
    runtime_role,
):
    from auditlog.receivers import on_daily_maintenance

    last = f"auditlog_accesslog_p{_month(partitions.MONTHS_AHEAD):%Y%m}"
    as_owner(f"ALTER TABLE auditlog_accesslog DETACH PARTITION {last}")
    as_owner(f"DROP TABLE {last}")
    assert last not in _names()
    counts = on_daily_maintenance(sender=None)
    assert counts["auditlog-partitions-created"] == 1
    assert last in _names()
    # The application reaches a partition only through its table.
    with (
        pytest.raises(DatabaseError, match="permission denied"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(f"SELECT 1 FROM {last}")


def test_the_runtime_role_cannot_drop_detach_or_create_a_partition(runtime_role):
    current = f"auditlog_accesslog_p{_month(0):%Y%m}"
    _log(timezone.now())
    for statement in (
        f"DROP TABLE {current}",
        f"ALTER TABLE auditlog_accesslog DETACH PARTITION {current}",
        f"TRUNCATE {current}",
        f"DELETE FROM {current}",
        f"SELECT * FROM {current}",
        f"INSERT INTO {current} SELECT * FROM {current}",
        "SELECT auditlog_add_partition('auditlog_accesslog', 'auditlog_accesslog', "
        "'occurred_at', '2020-01-01')",
    ):
        with (
            pytest.raises(DatabaseError),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute(statement)
    assert current in _names()
    assert AccessLog.objects.count() == 1


def _node_event(customer_id=None, event_id=None) -> dict:
    return {
        "event_id": event_id or uuid.uuid4(),
        "occurred_at": timezone.now(),
        "node_id": "node-9",
        "customer_id": customer_id,
        "action": "start",
        "actor_type": "system",
        "actor_id": "",
        "source_ip": None,
        "details": {},
    }


def test_node_event_ids_stay_unique_across_months(alice):
    event = _node_event(alice.pk)
    services.ingest_node_events([event])
    # The same id received in another month (straight into the table, past the
    # service's own check) is refused as the unique index refused it.
    row = {
        **event,
        "received_at": timezone.now() + timedelta(days=62),
        "grant_id": None,
        "is_violation": False,
    }
    with pytest.raises(IntegrityError, match="event_id"), transaction.atomic():
        chain.append(NodeEvent, [row])
    retry = services.ingest_node_events([event, _node_event(alice.pk)])
    assert retry.duplicates == [event["event_id"]]
    assert len(retry.created) == 1
    assert NodeEvent.objects.filter(event_id=event["event_id"]).count() == 1
    assert NodeEvent.objects.count() == 2


def test_the_first_row_of_a_month_links_to_the_last_row_of_the_month_before():
    _add_partition(_month(-2))
    _add_partition(_month(-1))
    _log(_at(_month(-2)), 3)
    _log(_at(_month(-1)), 3)
    _log(timezone.now(), 3)
    by_partition: dict[str, list[AccessLog]] = {}
    for row in AccessLog.objects.order_by("id"):
        by_partition.setdefault(_partition_of(row.pk), []).append(row)
    assert len(by_partition) == 3
    months = list(by_partition.values())
    for before, after in zip(months, months[1:], strict=False):
        assert after[0].prev_hash == before[-1].hash
    assert list(chain.verify(AccessLog)) == []


@pytest.fixture
def year_of_history() -> dict[str, list[int]]:
    """Rows 14 and 13 months ago (their own partitions), 25 months ago (the default
    partition), the month the retention ends in (half expired), and now."""
    for offset in (-14, -13):
        _add_partition(_month(offset))
    cutoff = timezone.now() - timedelta(days=365)
    _add_partition(cutoff.astimezone(UTC).date())
    ids: dict[str, list[int]] = {}
    for name, when in (
        ("default", _at(_month(-25))),
        ("m14", _at(_month(-14))),
        ("m13", _at(_month(-13))),
        ("expired", cutoff - timedelta(minutes=30)),
        ("kept", cutoff + timedelta(hours=2)),
        ("now", timezone.now()),
    ):
        _log(when, 3, path=f"/{name}/")
        ids[name] = list(
            AccessLog.objects.filter(path__startswith=f"/{name}/")
            .order_by("id")
            .values_list("id", flat=True)
        )
    return ids


def test_purge_drops_expired_months_whole_and_deletes_rows_of_a_partly_expired_one(
    runtime_role, year_of_history
):
    ids = year_of_history
    m14, m13 = (f"auditlog_accesslog_p{_month(o):%Y%m}" for o in (-14, -13))
    assert {m14, m13} <= set(_names())
    assert services.purge_log(AccessLog, time_field="occurred_at") == 12
    assert m14 not in _names()
    assert m13 not in _names()
    # The month the retention ends in and every newer one stay.
    cutoff_month = (timezone.now() - timedelta(days=365)).astimezone(UTC).date()
    for month in (cutoff_month, _month(0), _month(partitions.MONTHS_AHEAD)):
        assert f"auditlog_accesslog_p{month:%Y%m}" in _names()
    remaining = set(AccessLog.objects.values_list("id", flat=True))
    assert remaining == set(ids["kept"] + ids["now"])
    # The boundary of each dropped month, and the end of the purge, are checkpoints.
    checkpoints = list(
        PurgeCheckpoint.objects.order_by("last_id").values_list(
            "last_id", "purged_count"
        )
    )
    assert checkpoints == [
        (ids["m14"][-1], 6),
        (ids["m13"][-1], 3),
        (ids["expired"][-1], 3),
    ]
    assert services.verify_logs(["access"]) == []
    _log(timezone.now())
    assert services.verify_logs(["access"]) == []


def test_after_a_drop_verify_still_proves_the_rest_and_sees_tampering(
    year_of_history,
):
    services.anchor_logs()
    services.purge_log(AccessLog, time_field="occurred_at")
    assert services.verify_logs(["access"]) == []
    # A DBA removes a kept row in the middle of the remaining chain.
    as_owner(
        "DELETE FROM auditlog_accesslog WHERE id = %s", [year_of_history["kept"][1]]
    )
    assert _checks(services.verify_logs(["access"])) == [
        ("auditlog_accesslog", "removed")
    ]


def test_verify_sees_a_forged_checkpoint_at_a_dropped_months_boundary(year_of_history):
    services.purge_log(AccessLog, time_field="occurred_at")
    last = year_of_history["expired"][-1]
    as_owner("DELETE FROM auditlog_purgecheckpoint WHERE last_id = %s", [last])
    as_owner(
        'INSERT INTO auditlog_purgecheckpoint ("table", last_id, last_hash, '
        "purged_count, purged_at) VALUES ('auditlog_accesslog', %s, %s, 3, now())",
        [last, "f" * 64],
    )
    assert _checks(services.verify_logs(["access"])) == [
        ("auditlog_accesslog", "removed")
    ]


def test_a_month_that_may_not_go_keeps_its_rows_and_every_newer_one(
    runtime_role, year_of_history
):
    ids = year_of_history
    held = f"auditlog_accesslog_p{_month(-13):%Y%m}"
    # The test hook: what a legal hold does when the lead wires the hold table in.
    as_owner(
        "CREATE OR REPLACE FUNCTION auditlog_partition_may_go("
        "log_table text, part regclass, lower timestamptz, upper timestamptz) "
        "RETURNS boolean LANGUAGE sql STABLE AS "
        f"$$ SELECT part::text <> '{held}' $$"
    )
    assert services.purge_log(AccessLog, time_field="occurred_at") == 6
    assert held in _names()
    assert f"auditlog_accesslog_p{_month(-14):%Y%m}" not in _names()
    assert set(AccessLog.objects.values_list("id", flat=True)) == set(
        ids["m13"] + ids["expired"] + ids["kept"] + ids["now"]
    )
    assert services.verify_logs(["access"]) == []


def test_a_time_filtered_admin_list_reads_only_that_months_partition(
    staff_client, auditor
):
    from django.test.utils import CaptureQueriesContext

    from auditlog import roles as auditlog_roles

    auditlog_roles.grant_group_permissions()
    for offset in (-2, -1):
        _add_partition(_month(offset))
        _log(_at(_month(offset)), 2)
    _log(_at(_month(0), 11), 2, path="/shown/")
    month = _month(0)
    client = staff_client(auditor)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(
            "/admin/auditlog/accesslog/",
            {
                "occurred_at__gte": f"{month:%Y-%m}-10",
                "occurred_at__lt": f"{month:%Y-%m}-12",
            },
        )
    assert response.status_code == 200
    assert "/shown/0" in response.text
    listing = [
        q["sql"]
        for q in queries.captured_queries
        if 'FROM "auditlog_accesslog"' in q["sql"] and "LIMIT" in q["sql"]
    ]
    assert listing
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN {listing[-1]}")
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert f"auditlog_accesslog_p{month:%Y%m}" in plan
    for other in _names():
        if other != f"auditlog_accesslog_p{month:%Y%m}":
            assert other not in plan


def _node_events(received: datetime, n: int, node: str, skew=timedelta(0)) -> None:
    """Node events received at ``received`` that occurred ``skew`` later (a node's clock
    ahead of ours, as far as the API allows)."""
    chain.append(
        NodeEvent,
        [
            {
                "event_id": uuid.uuid4(),
                "occurred_at": received + skew + timedelta(seconds=i),
                "received_at": received + timedelta(seconds=i),
                "node_id": node,
                "customer_id": None,
                "action": "start",
                "actor_type": "system",
                "actor_id": "",
                "source_ip": None,
                "details": {},
                "grant_id": None,
                "is_violation": False,
            }
            for i in range(n)
        ],
    )


def _plans(queries, table: str) -> list[str]:
    """EXPLAIN of every query of ``queries`` that reads ``table``'s rows."""
    plans = []
    with connection.cursor() as cursor:
        for query in queries.captured_queries:
            sql = query["sql"]
            if f'FROM "{table}"' not in sql or "COUNT(" in sql.upper():
                continue
            cursor.execute(f"EXPLAIN {sql}")
            plans.append("\n".join(row[0] for row in cursor.fetchall()))
    return plans


def _scanned(plan: str, table: str) -> set[str]:
    return {name for name in _names(table) if name in plan}


def _admin_reads(client, url: str, params: dict, table: str) -> tuple[str, list[str]]:
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, params)
        body = (
            b"".join(response.streaming_content).decode()
            if response.streaming
            else response.text
        )
    assert response.status_code == 200
    plans = _plans(queries, table)
    assert plans, "the rows were not read"
    return body, plans


@pytest.mark.parametrize("export", [False, True], ids=["list", "csv"])
def test_a_time_filtered_node_event_list_and_export_skip_older_months(
    staff_client, auditor, export
):
    """Node events are partitioned on received_at; the admin filters on occurred_at and
    bounds received_at by the allowed clock skew, so no month before the filter's start
    is read, and an event received just before the start (its node's clock ahead) is
    still listed."""
    from auditlog import roles as auditlog_roles
    from auditlog.serializers import MAX_CLOCK_SKEW

    auditlog_roles.grant_group_permissions()
    table = "auditlog_nodeevent"
    for offset in (-3, -2, -1):
        _add_partition(_month(offset), table)
        _node_events(_at(_month(offset)), 2, node=f"old-{-offset}")
    month = _month(0)
    start = datetime(month.year, month.month, 2, tzinfo=UTC)
    _node_events(_at(month, 3), 2, node="inside")
    # Received a minute before the start, occurred four minutes later (within the skew).
    _node_events(
        start - timedelta(minutes=1),
        1,
        node="early",
        skew=MAX_CLOCK_SKEW - timedelta(minutes=1),
    )
    url = "/admin/auditlog/nodeevent/" + ("export.csv" if export else "")
    body, plans = _admin_reads(
        staff_client(auditor),
        url,
        {
            "occurred_at__gte": start.isoformat(),
            "occurred_at__lt": _at(month, 5).isoformat(),
        },
        table,
    )
    assert "inside" in body
    assert "early" in body
    assert "old-" not in body
    older = {f"{table}_p{_month(offset):%Y%m}" for offset in (-3, -2, -1)}
    for plan in plans:
        scanned = _scanned(plan, table)
        assert f"{table}_p{month:%Y%m}" in scanned, plan
        assert not scanned & older, plan


@pytest.mark.parametrize(
    ("model", "table"),
    [("accesslog", "auditlog_accesslog"), ("securityevent", "auditlog_securityevent")],
)
def test_a_time_filtered_csv_export_reads_only_that_months_partition(
    staff_client, auditor, model, table
):
    from auditlog import roles as auditlog_roles
    from auditlog.models import SecurityEvent

    auditlog_roles.grant_group_permissions()
    for offset in (-2, -1, 0):
        if offset:
            _add_partition(_month(offset), table)
        when = _at(_month(offset))
        if model == "accesslog":
            _log(when, 2, path=f"/month-{-offset}/")
        else:
            chain.append(
                SecurityEvent,
                [
                    {
                        "occurred_at": when,
                        "action": SecurityEvent.Action.SIGN_IN_FAILED,
                        "user_id": None,
                        "attempted_email": f"month-{-offset}@example.com",
                        "ip": "192.0.2.1",
                        "subject_id": None,
                        "object_label": "",
                    }
                ],
            )
    month = _month(0)
    client = staff_client(auditor)
    params = {
        "occurred_at__gte": f"{month:%Y-%m}-09",
        "occurred_at__lt": f"{month:%Y-%m}-12",
    }
    for url in (f"/admin/auditlog/{model}/", f"/admin/auditlog/{model}/export.csv"):
        body, plans = _admin_reads(client, url, params, table)
        assert "month-0" in body
        assert "month-1" not in body
        assert "month-2" not in body
        for plan in plans:
            assert _scanned(plan, table) == {f"{table}_p{month:%Y%m}"}, plan


def test_a_legal_hold_on_the_access_log_keeps_its_month_and_every_newer_one(
    runtime_role, year_of_history, privacy_officer
):
    from policy import services as policy_services

    ids = year_of_history
    held = _month(-13)
    policy_services.place_hold(
        privacy_officer,
        reason="Preservation order",
        order_reference="CCA s.26 order 7/2569",
        category="auditlog-access-log",
        data_from=_at(held, 5),
        data_until=_at(held, 15),
        ends_on=timezone.localdate() + timedelta(days=30),
    )
    services.purge_log(AccessLog, time_field="occurred_at")
    assert f"auditlog_accesslog_p{held:%Y%m}" in _names()
    assert f"auditlog_accesslog_p{_month(-14):%Y%m}" not in _names()
    assert set(ids["m13"] + ids["expired"]) <= set(
        AccessLog.objects.values_list("id", flat=True)
    )
    assert services.verify_logs(["access"]) == []


def test_a_hold_on_another_category_or_another_month_lets_the_month_go(
    runtime_role, year_of_history, privacy_officer
):
    from policy import services as policy_services

    for scope in (
        {"category": "auditlog-node-event"},
        {
            "category": "auditlog-access-log",
            "data_from": _at(_month(-24)),
            "data_until": _at(_month(-20)),
        },
    ):
        policy_services.place_hold(
            privacy_officer,
            reason="Preservation order",
            order_reference="CCA s.26 order 8/2569",
            ends_on=timezone.localdate() + timedelta(days=30),
            **scope,
        )
    services.purge_log(AccessLog, time_field="occurred_at")
    assert f"auditlog_accesslog_p{_month(-13):%Y%m}" not in _names()


def test_a_legal_hold_on_the_access_log_keeps_its_months_until_released(
    privacy_officer, year_of_history
):
    from policy.services import holds

    kwargs = {
        "reason": "Preservation order",
        "order_reference": "DSI 12/2569",
        "ends_on": timezone.localdate() + timedelta(days=30),
    }
    # A hold on data of another time (long after these months) keeps nothing.
    holds.place_hold(
        privacy_officer,
        category="auditlog-access-log",
        data_from=timezone.now() + timedelta(days=1),
        **kwargs,
    )
    hold = holds.place_hold(
        privacy_officer,
        category="auditlog-access-log",
        data_from=_at(_month(-13), 1),
        data_until=_at(_month(-13), 20),
        **kwargs,
    )
    # 14 months ago may go (with the older rows of the default partition); the held
    # month 13 months ago and every newer row stay.
    assert services.purge_log(AccessLog, time_field="occurred_at") == 6
    assert f"auditlog_accesslog_p{_month(-13):%Y%m}" in _names()
    assert set(AccessLog.objects.values_list("id", flat=True)) == set(
        year_of_history["m13"]
        + year_of_history["expired"]
        + year_of_history["kept"]
        + year_of_history["now"]
    )
    holds.release_hold(hold, by=privacy_officer, reason="Order lifted")
    assert services.purge_log(AccessLog, time_field="occurred_at") == 6
    assert f"auditlog_accesslog_p{_month(-13):%Y%m}" not in _names()
    assert services.verify_logs(["access"]) == []
