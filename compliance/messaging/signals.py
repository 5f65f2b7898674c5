"""What messaging tells the apps above it, which connect to these in their AppConfig.ready.

mail_abandoned(message, error): an outgoing message could not be sent after its last
attempt. Sent outside any transaction, once per message.
"""

from django.dispatch import Signal

mail_abandoned = Signal()
