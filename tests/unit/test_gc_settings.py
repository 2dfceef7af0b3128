"""Garbage-collection settings of the worker and the untracked per-record objects of a run."""

from __future__ import annotations

import gc
import subprocess
import sys

import pytest

from app.domain.decisions import Delete, Exclude, Transfer
from app.domain.keys import EntityKind, RecordKey
from app.domain.portal import PortalPerson
from app.domain.reasons import Reason


def test_decisions_are_not_tracked_by_the_collector() -> None:
    key = RecordKey.of(EntityKind.PERSON, "1")
    decisions = [
        Transfer(key=key, record=PortalPerson(number="1", portal_user=True)),
        Delete(key=key, reason=Reason.MOVED_OUT_DELETION_DUE),
        Exclude(key=key, reason=Reason.OBJECT_NOT_ENABLED),
    ]
    assert not any(gc.is_tracked(decision) for decision in decisions)


@pytest.mark.server  # a subprocess
def test_the_worker_freezes_its_start_up_and_collects_the_young_less_often() -> None:
    probe = (
        "import gc; from app.worker import GC_YOUNG_THRESHOLD, settle_gc; settle_gc(); "
        "print(gc.get_threshold()[0] == GC_YOUNG_THRESHOLD, gc.get_freeze_count() > 0)"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe], check=True, capture_output=True, text=True
    ).stdout
    assert out.split() == ["True", "True"]
