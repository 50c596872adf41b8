"""Hostile input and forged cookies: the signing key (production refuses a missing one; development generates and
keeps one), image decompression bombs and PDFs with scripts at upload and in the merged dossier, a bad stored file
that must not break dossier.pdf, and withdrawing an upload. Every bomb is built here, small, never committed."""
from __future__ import annotations

import io
import os
import stat
import struct
import threading

import pytest

from webapp import create_app, instance_secret_key


# ── the signing key ──────────────────────────────────────────────────────────────────────────────────────────

def test_production_refuses_to_start_without_a_real_secret_key(tmp_path, monkeypatch):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.setenv("TDKT_ENV", "production")
    for config in ({}, {"SECRET_KEY": "dev-only-change-me"}, {"SECRET_KEY": "short"}):
        with pytest.raises(RuntimeError, match="TDKT_ENV=production cần SECRET_KEY"):
            create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://", **config}, instance_path=str(tmp_path))
    assert not (tmp_path / "secret_key").exists()  # production never falls back to a generated key
    monkeypatch.setenv("TDKT_ENV", "prod")  # a typo is not quietly development
    with pytest.raises(RuntimeError, match="không hợp lệ"):
        create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://"}, instance_path=str(tmp_path))
    monkeypatch.setenv("TDKT_ENV", "production")
    monkeypatch.setenv("SECRET_KEY", "k" * 40)
    assert create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://"}, instance_path=str(tmp_path)).secret_key == "k" * 40


def test_the_demo_key_is_generated_once_private_and_kept_across_restarts(tmp_path, monkeypatch):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.delenv("TDKT_ENV", raising=False)
    first = create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://"}, instance_path=str(tmp_path))
    second = create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://"}, instance_path=str(tmp_path))
    assert first.secret_key == second.secret_key and len(first.secret_key) >= 32
    assert first.secret_key != "dev-only-change-me"
    assert stat.S_IMODE(os.stat(tmp_path / "secret_key").st_mode) == 0o600
    other = create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://"}, instance_path=str(tmp_path / "elsewhere"))
    assert other.secret_key != first.secret_key  # generated, not a constant
    assert create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://", "SECRET_KEY": "test"},
                      instance_path=str(tmp_path)).secret_key == "test"  # the tests' own key still wins


def test_workers_starting_at_once_agree_on_one_generated_key(tmp_path):
    path, barrier, keys = tmp_path / "secret_key", threading.Barrier(8), []

    def worker():
        barrier.wait()
        keys.append(instance_secret_key(path))

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(keys) == 8 and len(set(keys)) == 1
    assert [p.name for p in tmp_path.iterdir()] == ["secret_key"]  # no temporary file left behind
