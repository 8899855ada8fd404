"""Calendar feeds and collection requests: what the portal adds to the schedules."""

from piccolo.columns import Date, Integer, Serial, Text, Timestamptz, Varchar
from piccolo.table import Table


class FeedToken(Table, tablename="feed_token"):
    """A secret, revocable iCalendar feed URL; only its hash is kept."""

    id = Serial(primary_key=True)
    contract_no = Varchar(length=40, index=True)
    waste_type = Varchar(length=10, null=True, default=None)
    token_hash = Varchar(length=64, unique=True)
    created_at = Timestamptz()
    revoked_at = Timestamptz(null=True, default=None)


class CollectionRequest(Table, tablename="collection_request"):
    id = Serial(primary_key=True)
    contract_no = Varchar(length=40, index=True)
    container_id = Varchar(length=40)
    kind = Varchar(length=10)  # extra / cancel
    date = Date()
    note = Text(default="")
    account_id = Integer(null=True, default=None)
    created_at = Timestamptz()


TABLES = [FeedToken, CollectionRequest]
