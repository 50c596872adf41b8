"""Uploads on several machines: with TDKT_UPLOAD_STORE=database a scan is kept in the database (chunks, in the
upload's own transaction), so a second web machine with its own disk serves it; the folder stays the default."""
from __future__ import annotations

import io
import zipfile

import pytest
from sqlalchemy import func, select

from processes import attachments, upload_store
from processes.models import Attachment, UploadChunk, User
from tests.conftest import Browser
from tests.test_documents import _post_file, scanned_pdf
from tests.test_uploads_hostile import started_case
from webapp import create_app


@pytest.mark.parametrize("kind", ["folder", "database"])
def test_both_stores_keep_a_file_in_chunks_once_and_forget_it(session, tmp_path, kind):
    store = upload_store.store_at(tmp_path / "uploads" if kind == "folder" else upload_store.DATABASE)
    content = bytes(range(256)) * 5200  # 1.3 MB: three chunks in the database
    assert store.put(session, "7/abc.pdf", content) is True
    assert store.put(session, "7/abc.pdf", content) is False  # content-addressed: stored once
    session.commit()
    assert store.get(session, "7/abc.pdf") == content
    if kind == "database":
        assert session.scalar(select(func.count()).select_from(UploadChunk)
                              .where(UploadChunk.storage_key == "7/abc.pdf")) == 3
    store.delete(session, "7/abc.pdf")
    session.commit()
    assert store.get(session, "7/abc.pdf") is None
    with pytest.raises(ValueError):
        upload_store.FileStore(tmp_path).put(session, "../outside.pdf", b"x")


def chunks(session) -> int:
    return session.scalar(select(func.count()).select_from(UploadChunk))


def test_a_second_machine_serves_an_upload_kept_in_the_database(app, session, browser, db_url, tmp_path):
    app.config["TDKT_UPLOAD_STORE"] = "database"
    other = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": db_url, "SECRET_KEY": "test",
                        "TDKT_UPLOAD_STORE": "database"}, instance_path=str(tmp_path / "machine-b"))
    case_id, staff = started_case(session, browser)
    pdf = scanned_pdf("biên bản họp")
    response = _post_file(staff, case_id, "bien_ban", "bien-ban.pdf", pdf)
    assert response.status_code == 302, response.get_data(as_text=True)[:300]
    row = session.scalar(select(Attachment))
    assert row is not None and chunks(session) >= 1
    assert not any((tmp_path).rglob("*.pdf"))  # nothing on either machine's disk

    on_b = Browser(other, "vks-qb-dong-hoi.canbo")
    served = on_b.get(f"/attachments/{row.id}")
    assert served.status_code == 200 and served.data == pdf
    archive = on_b.get(f"/cases/{case_id}/dossier.zip")
    with zipfile.ZipFile(io.BytesIO(archive.data)) as opened:
        assert any(opened.read(name) == pdf for name in opened.namelist())

    page = on_b.get(f"/cases/{case_id}")
    withdrawn = on_b.post_form(f"/cases/{case_id}", f"/cases/{case_id}/attachments/{row.id}/withdraw", {})
    assert withdrawn.status_code == 302 and page.status_code == 200
    assert session.scalar(select(Attachment)) is None
    assert chunks(session) == 0  # removed after the commit, by the listener


def test_a_failed_upload_leaves_no_chunks(app, session, browser, monkeypatch):
    app.config["TDKT_UPLOAD_STORE"] = "database"
    case_id, staff = started_case(session, browser)

    def broken(*args, **kwargs):
        raise RuntimeError("the audit trail failed after the file was stored")

    monkeypatch.setattr(attachments.audit, "record", broken)
    with pytest.raises(RuntimeError):
        attachments.upload(session, _staff(session), case_id, "bien_ban", "x.pdf", scanned_pdf("x"), upload_store.DATABASE)
    session.rollback()
    assert chunks(session) == 0 and session.scalar(select(Attachment)) is None


def _staff(session):
    return session.scalar(select(User).where(User.username == "vks-qb-dong-hoi.canbo"))
