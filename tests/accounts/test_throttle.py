"""Login throttling as plain functions: counters by name and address, growing locks, no enumeration."""
from __future__ import annotations

import hashlib
import logging
from datetime import timedelta

import pytest

from feedback.accounts import throttle
from feedback.accounts.login import authenticate
from feedback.extensions import db


def fail(name, clock, ip="10.0.0.1"):
    out = authenticate(name, "wrong password", ip, clock())
    db.session.commit()
    return out


def test_fifth_failure_locks_for_thirty_seconds_then_doubles(world, clock):
    for _ in range(4):
        assert fail("edu_clerk", clock).locked_until is None
    fifth = fail("edu_clerk", clock)
    assert fifth.locked_until == clock() + timedelta(seconds=30)
    # Locked: even the right password is not looked at.
    assert authenticate("edu_clerk", "correct horse", "10.0.0.1", clock()).user is None
    clock.advance(seconds=31)
    sixth = fail("edu_clerk", clock)
    assert sixth.locked_until == clock() + timedelta(seconds=60)  # 30 s doubled once


def test_right_password_after_the_lock_ends_signs_in_and_clears_the_name(world, clock):
    for _ in range(5):
        fail("edu_clerk", clock)
    clock.advance(seconds=30, microseconds=1)
    ok = authenticate("edu_clerk", "correct horse", "10.0.0.1", clock())
    assert ok.user is not None and ok.user.username == "edu_clerk"
    db.session.commit()
    assert db.session.get(throttle.LoginThrottle, "user:edu_clerk") is None
    # The address keeps its five failures (one valid account must not reset a sweep).
    assert db.session.get(throttle.LoginThrottle, "ip:10.0.0.1").failures == 5


def test_unknown_name_is_throttled_exactly_like_a_real_one(world, clock):
    real = [fail("edu_clerk", clock, ip="10.0.0.1").locked_until for _ in range(5)]
    ghost = [fail("nobody_here", clock, ip="10.0.0.2").locked_until for _ in range(5)]
    assert real == ghost  # four Nones, then the same 30-second lock


@pytest.mark.real_password_hashing
def test_each_attempt_costs_one_scrypt_whether_or_not_the_name_exists(world, clock, monkeypatch):
    calls = []
    real_scrypt = hashlib.scrypt

    def counting(*args, **kwargs):
        calls.append(1)
        return real_scrypt(*args, **kwargs)

    authenticate("nobody_here", "x", "10.0.0.9", clock())  # warm the dummy hash
    monkeypatch.setattr(hashlib, "scrypt", counting)
    authenticate("nobody_here", "wrong", "10.0.0.3", clock())
    unknown = len(calls)
    calls.clear()
    authenticate("edu_clerk", "wrong", "10.0.0.4", clock())
    assert unknown == len(calls) == 1


def test_many_names_from_one_address_lock_the_address(world, clock):
    # 20 failures from one address, each against a different name: no name reaches 5.
    for i in range(19):
        assert fail(f"guess{i}", clock, ip="10.9.9.9").locked_until is None
    assert fail("guess19", clock, ip="10.9.9.9").locked_until is not None
    # A real user on that address is refused while it is locked.
    assert authenticate("edu_clerk", "correct horse", "10.9.9.9", clock()).user is None
    # ... but can sign in from elsewhere.
    assert authenticate("edu_clerk", "correct horse", "10.1.1.1", clock()).user is not None


def test_a_quiet_day_forgets_old_failures(world, clock):
    for _ in range(4):
        fail("edu_clerk", clock)
    clock.advance(hours=25)
    assert fail("edu_clerk", clock).locked_until is None  # counted as the first failure again
    assert db.session.get(throttle.LoginThrottle, "user:edu_clerk").failures == 1


def test_failures_are_logged(world, clock, caplog):
    with caplog.at_level(logging.WARNING, logger="feedback.security"):
        fail("edu_clerk", clock, ip="10.0.0.7")
    assert "login failed: user:edu_clerk from ip:10.0.0.7" in caplog.text


def test_inactive_account_is_refused_like_a_wrong_password(world, clock):
    world.users["edu_clerk"].active = False
    db.session.commit()
    out = authenticate("edu_clerk", "correct horse", "10.0.0.1", clock())
    assert out.user is None and out.locked_until is None


@pytest.mark.parametrize("failures, seconds", [(4, None), (5, 30), (6, 60), (7, 120), (12, 3600), (40, 3600)])
def test_lock_grows_from_thirty_seconds_to_an_hour(failures, seconds):
    lock = throttle.lock_for(failures, 5)
    assert (None if lock is None else lock.total_seconds()) == seconds
