"""What the items app tells higher apps about, without knowing them (see core/layers.py);
receivers connect in their AppConfig.ready.

origin_created(origin): an origin was added (by staff, the API, the demo or ingest finding a
new site); sent inside the transaction that created it.

item_status_changed(rows, from_status, to_status, at, case, reason): items changed status
(hidden, restored, withheld); `rows` selects them. Sent inside the transaction of the
change, so that a receiver's outbox rows commit (or roll back) with it.
"""

from django.dispatch import Signal

origin_created = Signal()
item_status_changed = Signal()
