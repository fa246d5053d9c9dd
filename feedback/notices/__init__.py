"""Telling people (issue 6): what is due is found and recorded as Notification rows
(`notify.py`, `models.py`), read in the app (`views.py`) and copied by e-mail through the outbox
(`outbox.py`) over plain SMTP (`mail.py`)."""
