"""The fast batch parser agrees with the documented serializer."""

import uuid
from datetime import timedelta

import pytest
from django.utils import timezone
from hypothesis import given, settings
from hypothesis import strategies as st
from rest_framework.exceptions import ValidationError

from auditlog.serializers import (
    MAX_CLOCK_SKEW,
    _parse_one,
    _parse_plain,
    node_event_batch,
    parse_node_events,
)

GOOD = {
    "event_id": "6f1c2a0e-3d7b-4a59-9a57-0d6b1d7c2f11",
    "occurred_at": "2026-01-02T03:04:05+07:00",
    "node_id": "node-1",
    "customer": 5,
    "action": "reboot",
    "actor": {"type": "staff", "id": 42},
    "source_ip": "2001:0db8::0001",
    "details": {"reason": "kernel update"},
}


def _reference(batch):
    serializer = node_event_batch(batch)
    return serializer.validated_data if serializer.is_valid() else None


def _fast(batch):
    try:
        return parse_node_events(batch)
    except ValidationError:
        return None


def test_valid_event_parses_like_the_serializer():
    fast = parse_node_events([GOOD])[0]
    reference = _reference([GOOD])[0]
    assert fast["event_id"] == reference["event_id"] == uuid.UUID(GOOD["event_id"])
    assert fast["occurred_at"] == reference["occurred_at"]
    assert fast["actor"] == {"type": "staff", "id": "42"} == dict(reference["actor"])
    assert fast["source_ip"] == "2001:db8::1"
    assert fast["details"] == reference["details"]
    assert fast["customer"] == reference["customer"] == 5


@pytest.mark.parametrize("action", ["explode", "vtpm.attach", "gpu-passthrough_2"])
def test_unknown_but_well_formed_actions_are_accepted_by_both(action):
    event = {**GOOD, "action": action}
    assert parse_node_events([event])[0]["action"] == action
    assert _reference([event])[0]["action"] == action
    assert _parse_one(event, timezone.now())[0]["action"] == action


def test_optional_fields_default_like_the_serializer():
    event = {k: v for k, v in GOOD.items() if k not in ("source_ip", "details")}
    fast = parse_node_events([event])[0]
    assert fast["source_ip"] is None
    assert fast["details"] == {}


@pytest.mark.parametrize(
    "change",
    [
        {"event_id": "nope"},
        {"occurred_at": "yesterday"},
        {"occurred_at": (timezone.now() + timedelta(days=1)).isoformat()},
        {"node_id": ""},
        {"node_id": "x" * 65},
        {"customer": 0},
        {"customer": "abc"},
        {"action": "Explode!"},
        {"action": "explode\x00"},
        {"action": "x" * 31},
        {"action": "_leading"},
        {"action": 7},
        {"actor": {"type": "robot"}},
        {"actor": "staff"},
        {"source_ip": "999.1.1.1"},
        {"details": ["not", "an", "object"]},
        {"details": {"blob": "x" * 5000}},
    ],
)
def test_both_refuse_the_same_bad_items(change):
    bad = {**GOOD, **change}
    assert _reference([bad]) is None
    assert _fast([bad]) is None


@pytest.mark.parametrize("batch", [[], {"a": 1}, "text", [GOOD] * 1001])
def test_bad_batches_are_refused(batch):
    with pytest.raises(ValidationError):
        parse_node_events(batch)


@settings(max_examples=300, deadline=None)
@given(
    st.dictionaries(
        st.sampled_from(list(GOOD)),
        st.one_of(
            st.none(),
            st.booleans(),
            st.integers(),
            st.text(max_size=70),
            st.dictionaries(st.text(max_size=5), st.integers(), max_size=3),
        ),
    )
)
def test_fast_parser_never_accepts_what_the_serializer_refuses(change):
    item = {**GOOD, **change}
    if _fast([item]) is not None:
        assert _reference([item]) is not None


@pytest.mark.parametrize(
    "text",
    [
        "2026-01-02T03:04",
        "2026-01-02 03:04:05Z",
        "2026-01-02T03:04:05.123456+07:00",
        "2026-01-02T03:04:05.1234567+07:00",
        "2026-01-02T03:04:05+0700",
        "2026-01-02T03:04:05,5Z",
        "2026-01-02T24:00",
        "2026-13-02T03:04",
        "2026-01-02T03:04:05 +07:00",
        "2026-01-02T03:04:05+07",
        "2026-01-02",
        "20260102T030405",
    ],
)
def test_times_are_read_as_the_serializer_reads_them(text):
    item = {**GOOD, "occurred_at": text}
    fast, reference = _fast([item]), _reference([item])
    if fast is not None:
        assert reference is not None
        assert fast[0]["occurred_at"] == reference[0]["occurred_at"]


@settings(max_examples=300, deadline=None)
@given(
    st.dictionaries(
        st.sampled_from([*GOOD, "actor_id"]),
        st.one_of(
            st.none(),
            st.booleans(),
            st.integers(),
            st.text(max_size=70),
            st.sampled_from(
                [
                    " node-2 ",
                    "2026-01-02 03:04:05",
                    "2026-01-02T03:04:05Z",
                    "6F1C2A0E3D7B4A599A570D6B1D7C2F11",
                    "192.0.2.1",
                    "::ffff:192.0.2.1",
                    "console_access",
                ]
            ),
            st.dictionaries(st.sampled_from(["type", "id", "x"]), st.text(max_size=70)),
            st.dictionaries(st.text(max_size=5), st.integers(), max_size=3),
        ),
    )
)
def test_the_quick_path_agrees_with_the_careful_one(change):
    item = {**GOOD, "actor": {"type": "staff", "id": "42"}, **change}
    if "actor_id" in item:
        item["actor"] = {"type": "system", "id": item.pop("actor_id")}
    latest = timezone.now() + MAX_CLOCK_SKEW
    quick = _parse_plain(item, latest)
    careful, errors = _parse_one(item, latest)
    if quick is not None:
        assert errors == {}
        assert quick == careful


def test_the_usual_item_takes_the_quick_path():
    item = {**GOOD, "actor": {"type": "staff", "id": "42"}}
    latest = timezone.now() + MAX_CLOCK_SKEW
    assert _parse_plain(item, latest) == _parse_one(item, latest)[0]
    assert _parse_plain(item, latest) is not None
