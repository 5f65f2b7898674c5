"""What items tells the apps above it (connected in their AppConfig.ready).

item_status_changed(rows, from_status, to_status, at, case, reason): items changed status
(hidden, restored, withheld); `rows` selects them. Sent inside the transaction of the
change, so that a receiver's outbox rows commit (or roll back) with it.
"""

from django.dispatch import Signal

item_status_changed = Signal()
