"""The outbox: every mail is a row first, so a server that is down delays mail, never loses it."""

from piccolo.columns import JSON, Integer, Serial, Text, Timestamptz, Varchar
from piccolo.table import Table


class OutboxMessage(Table, tablename="outbox_message"):
    id = Serial(primary_key=True)
    # What makes a mail unique (say "confirm:42:<token id>"): a retry never sends it twice.
    dedupe_key = Varchar(length=200, unique=True)
    message_id = Varchar(length=200, unique=True)
    to_addr = Varchar(length=254)
    subject = Varchar(length=300)
    body_text = Text()
    body_html = Text(default="")
    attachments = JSON(default="[]")  # [{"filename", "mime", "path"}], files under the data dir
    language = Varchar(length=5, default="lv")
    status = Varchar(length=10, default="queued", index=True)  # queued / sending / sent / failed
    # A worker claims a message until this instant; one that died mid-send frees it then.
    lease_until = Timestamptz(null=True, default=None)
    attempts = Integer(default=0)
    next_attempt_at = Timestamptz(index=True)
    last_error = Text(default="")
    created_at = Timestamptz()
    sent_at = Timestamptz(null=True, default=None)


TABLES = [OutboxMessage]
