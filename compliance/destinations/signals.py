"""What destinations tells the apps above it (connected in their AppConfig.ready).

delivery_settled(delivery): a delivery was acknowledged, or failed after its last attempt.
Sent outside any transaction.
"""

from django.dispatch import Signal

delivery_settled = Signal()
