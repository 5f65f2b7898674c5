"""What the takedowns app tells higher apps about its requests.

`request_decided` is sent inside the transaction that moves a request to completed,
rejected or reversed, with `removal_request`, `status` and `reason`: what a receiver
writes (reports' public records) commits or rolls back with the decision itself.
"""

from django.dispatch import Signal

request_decided = Signal()
