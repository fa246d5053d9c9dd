"""The attachment store: type by content, the size cap, saving and opening again."""
from __future__ import annotations

import io

import pytest

from feedback.accounts.scope import Actor
from feedback.attachments import store
from feedback.attachments.models import Attachment
from feedback.errors import InputError, TooLarge
from feedback.extensions import db
from tests import attachment_files as files

ACTOR = Actor.system("test")


@pytest.mark.parametrize("content, name, expected", [
    (files.png(), "shot.png", "image/png"),
    (files.jpeg(), "photo.jpg", "image/jpeg"),
    (files.pdf(), "report.pdf", "application/pdf"),
    (files.docx(), "整改报告.docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
    (files.xlsx(), "list.xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
])
def test_each_taken_kind_is_known_by_its_bytes_and_reads_back(app, clock, content, name, expected):
    saved = store.save(io.BytesIO(content), name, actor=ACTOR, at=clock())
    db.session.commit()
    row = db.session.get(Attachment, saved.id)
    assert (row.name, row.size, row.content_type) == (name, len(content), expected)
    with store.open_file(row) as f:
        assert f.read() == content
    assert str(store.path_of(row)).startswith(app.config["UPLOAD_DIR"])


@pytest.mark.parametrize("content", [
    b"<html><script>alert(1)</script></html>", b"GIF89a\x01\x00\x01\x00", files.plain_zip(), b"PK\x03\x04broken",
])
def test_other_kinds_are_refused_naming_file_whatever_the_name_says(app, clock, content):
    with pytest.raises(InputError) as caught:
        store.save(io.BytesIO(content), "innocent.png", actor=ACTOR, at=clock())
    assert "file" in caught.value.errors
    assert db.session.query(Attachment).count() == 0


def test_an_empty_file_is_refused(app, clock):
    with pytest.raises(InputError) as caught:
        store.save(io.BytesIO(b""), "x.png", actor=ACTOR, at=clock())
    assert "empty" in caught.value.errors["file"]


def test_one_byte_over_the_cap_is_too_large_and_leaves_nothing(app, clock):
    app.config["ATTACHMENT_MAX_BYTES"] = 1000
    content = files.png()
    assert store.save(io.BytesIO(content + b"\x00" * (1000 - len(content))), "exact.png",
                      actor=ACTOR, at=clock()).size == 1000
    with pytest.raises(TooLarge):
        store.save(io.BytesIO(content + b"\x00" * (1001 - len(content))), "over.png", actor=ACTOR, at=clock())
    assert db.session.query(Attachment).count() == 1
    assert list((store.root() / "tmp").iterdir()) == []


def test_names_lose_their_folders_and_control_characters():
    assert store.clean_name("C:\\Users\\me\\截图\x07.png") == "截图.png"
    assert store.clean_name("../../etc/passwd") == "passwd"
    assert store.clean_name("") == "attachment"
