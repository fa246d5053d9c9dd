"""Files attached to a ticket's reply or note (and, later, to a finding's 整改 report).

`models.Attachment` is the record; `store` keeps the bytes under UPLOAD_DIR, the directory the
file imports already share between web and worker processes (CONTRACT.md: attachments).
"""
