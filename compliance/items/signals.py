"""What the items app tells higher apps about, without knowing them (see core/layers.py)."""

from django.dispatch import Signal

# An origin was added (by staff, the API, the demo or ingest finding a new site); sent
# inside the transaction that created it, with `origin`.
origin_created = Signal()
