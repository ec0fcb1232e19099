"""The one upload store: atomic writes (nothing partial under a real name), safe names, purging."""

from __future__ import annotations

import os
import time

import pytest

from lms.core import storage


@pytest.fixture
def store_ctx(app):
    with app.app_context():
        yield app


def listing(app, area):
    return sorted(os.listdir(os.path.join(app.config["UPLOAD_DIR"], area)))


def test_put_read_delete(store_ctx):
    name = storage.put("roster", b"nip,nama\n")
    assert storage.read("roster", name) == b"nip,nama\n"
    assert storage.delete("roster", name) and not storage.delete("roster", name)


@pytest.mark.parametrize("size", [1, 64 * 1024, 3 * 1024 * 1024])
def test_a_write_failing_half_way_leaves_nothing_behind(store_ctx, size):
    def chunks():
        yield b"x" * size
        raise OSError(28, "No space left on device")

    with pytest.raises(OSError):
        storage.put("roster", chunks(), name="half-written-file.bin")
    assert listing(store_ctx, "roster") == []


def test_a_failed_rewrite_keeps_the_old_file(store_ctx):
    storage.put("benchmarking", b"old", name="a" * 32)
    with pytest.raises(RuntimeError), storage.atomic_write(storage.path("benchmarking", "a" * 32)) as handle:
        handle.write(b"new but incomplete")
        raise RuntimeError("killed")
    assert storage.read("benchmarking", "a" * 32) == b"old"
    assert listing(store_ctx, "benchmarking") == ["a" * 32]


@pytest.mark.parametrize("name", ["../etc/passwd", "a/b", "", "short", ".hidden-file-name", "x" * 65])
def test_only_names_the_store_hands_out_are_accepted(store_ctx, name):
    with pytest.raises(ValueError):
        storage.path("roster", name)


def test_purge_removes_only_old_files_and_leftover_partials(store_ctx):
    keep = storage.put("roster", b"new")
    old = storage.put("roster", b"old")
    folder = os.path.join(store_ctx.config["UPLOAD_DIR"], "roster")
    partial = os.path.join(folder, ".x.part-dead")
    with open(partial, "wb") as handle:
        handle.write(b"half")
    then = time.time() - 2 * 86400
    for path in (os.path.join(folder, old), partial):
        os.utime(path, (then, then))
    assert storage.purge("roster", 86400) == 2
    assert listing(store_ctx, "roster") == [keep]


def test_an_export_failing_half_way_leaves_no_file(app, tmp_path, monkeypatch, make_cohort):
    from lms.results.exports import as_csv

    cohort = make_cohort(participants=2)

    def half(table, handle):
        handle.write("NIP,Nama\r\n" * 1000)
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(as_csv, "write_csv", half)
    output = tmp_path / "out" / "hasil.csv"
    output.parent.mkdir()
    result = app.test_cli_runner().invoke(
        args=["lms", "export", str(cohort.id), "--format", "csv", "--output", str(output)]
    )
    assert result.exit_code != 0
    assert os.listdir(output.parent) == []
