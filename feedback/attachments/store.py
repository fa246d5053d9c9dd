"""Keeping attachment bytes on UPLOAD_DIR, the store the imports use (config.py).

Web and worker processes on any machine reach the same directory, so an attachment saved by one
is opened by another. A file's type is what its bytes say, never its name or the browser's
Content-Type: only PNG, JPEG, PDF, DOCX and XLSX are taken (CONTRACT.md: attachments).
"""
from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
import uuid
import zipfile
from datetime import datetime
from pathlib import Path
from typing import BinaryIO

from flask import current_app

from feedback.attachments.models import CONTENT_TYPES, Attachment
from feedback.errors import InputError, TooLarge
from feedback.extensions import db

SUBDIR = "attachments"
READ_CHUNK = 64 * 1024
ALLOWED = "PNG、JPEG、PDF、DOCX、XLSX"
# A multipart body carries the file plus its headers and boundaries: the route's body limit is
# the file limit plus this much, and the file itself is held to the file limit exactly.
MULTIPART_SLACK = 64 * 1024


def max_bytes() -> int:
    return int(current_app.config["ATTACHMENT_MAX_BYTES"])


def body_limit() -> int:
    """What a request carrying one attachment may weigh (see MULTIPART_SLACK)."""
    return max_bytes() + MULTIPART_SLACK


def root() -> Path:
    return Path(current_app.config["UPLOAD_DIR"]) / SUBDIR


def path_of(attachment: Attachment) -> Path:
    key = attachment.storage_key
    return root() / key[:2] / key


def sniff(path: Path) -> str | None:
    """The kind (a CONTENT_TYPES key) the file's bytes show, or None for anything else."""
    with open(path, "rb") as f:
        head = f.read(16)
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if head.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if head.startswith(b"%PDF-"):
        return "pdf"
    if head.startswith(b"PK\x03\x04"):
        # Only the zip's directory is read, nothing is unpacked: no zip bomb can go off here.
        try:
            with zipfile.ZipFile(path) as z:
                names = set(z.namelist())
        except (zipfile.BadZipFile, OSError, ValueError):
            return None
        if "[Content_Types].xml" in names:
            if "word/document.xml" in names:
                return "docx"
            if "xl/workbook.xml" in names:
                return "xlsx"
    return None


def clean_name(name: str | None) -> str:
    base = os.path.basename((name or "").replace("\\", "/")).strip()
    base = "".join(ch for ch in base if ch.isprintable())
    return base[-255:] or "attachment"


def save(stream: BinaryIO, name: str | None, *, actor, at: datetime, ticket_id: int | None = None) -> Attachment:
    """Store the bytes read from `stream` and add their Attachment row (flushed, not committed).

    InputError naming `file` for an empty file or a type not taken; TooLarge over the limit.
    A row rolled back leaves an unreferenced file behind, never a row without its file."""
    limit = max_bytes()
    directory = root()
    (directory / "tmp").mkdir(parents=True, exist_ok=True)
    digest, size = hashlib.sha256(), 0
    fd, tmp_name = tempfile.mkstemp(dir=directory / "tmp")
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as out:
            while chunk := stream.read(READ_CHUNK):
                size += len(chunk)
                if size > limit:
                    raise TooLarge(f"file over the limit of {limit} bytes (FEEDBACK_ATTACHMENT_MAX_BYTES)",
                                   {"file": f"at most {limit} bytes"})
                digest.update(chunk)
                out.write(chunk)
        if size == 0:
            raise InputError({"file": "the file is empty; choose a PNG, JPEG, PDF, DOCX or XLSX file"})
        kind = sniff(tmp)
        if kind is None:
            raise InputError({"file": f"not a file type we take; send {ALLOWED} (checked by content)"})
        key = uuid.uuid4().hex
        final = directory / key[:2] / key
        final.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(str(tmp), final)
    finally:
        tmp.unlink(missing_ok=True)
    attachment = Attachment(
        ticket_id=ticket_id, name=clean_name(name), size=size, content_type=CONTENT_TYPES[kind],
        storage_key=key, sha256=digest.hexdigest(), uploaded_by_id=actor.user_id, uploaded_by=actor.label,
        uploaded_at=at)
    db.session.add(attachment)
    db.session.flush()
    return attachment


def open_file(attachment: Attachment) -> BinaryIO:
    """The stored bytes, for reading; the caller closes the file."""
    return open(path_of(attachment), "rb")
