"""kombu's filesystem transport, made safe for several processes on one folder.

kombu creates each file under its final name and only then writes to it, so another
process can read it empty: a polling worker took a message file before its content was
written and lost the message (seen as a takedown task that never arrived), and a publisher
read an exchange's binding table while a worker was creating it (JSONDecodeError). Here
every file appears under its final name complete: written aside, then renamed or linked
into place, both atomic.
"""

import os
import uuid

from kombu.transport import filesystem
from kombu.utils.encoding import str_to_bytes
from kombu.utils.json import dumps


class Channel(filesystem.Channel):
    def _put(self, queue, payload, **kwargs):
        # The same name as kombu's (time first, so that the folder sorts in arrival order).
        name = f"{round(filesystem.monotonic() * 1000)}_{uuid.uuid4()}.{queue}.msg"
        final = os.path.join(self.data_folder_out, name)
        partial = f"{final}.partial"  # kombu reads only names ending in "<queue>.msg"
        try:
            with open(partial, "wb") as f:
                f.write(str_to_bytes(dumps(payload)))
            os.replace(partial, final)
        except OSError as exc:
            raise filesystem.ChannelError(f"Cannot add file {final!r} to directory") from exc

    def _queue_bind(self, exchange, routing_key, pattern, queue):
        # kombu rewrites an existing table under its exclusive lock, but creates a missing
        # one empty and locks it only afterwards; create it complete, then let kombu update.
        table = self._exchange_file(exchange)
        if not table.exists():
            self.control_folder.mkdir(parents=True, exist_ok=True)
            partial = table.with_name(f"{table.name}.{uuid.uuid4()}.partial")
            partial.write_bytes(b"[]")
            try:
                os.link(partial, table)  # fails if another process created it meanwhile
            except FileExistsError:
                pass
            finally:
                partial.unlink()
        super()._queue_bind(exchange, routing_key, pattern, queue)

    def _lookup(self, exchange, routing_key, default=None):
        # kombu drops a message that a direct exchange routes to no queue, silently (no
        # dead-letter queue here). Refusing it instead lets the caller's fallback act:
        # enqueue_on_commit logs it and the row's periodic sweep queues the work again.
        queues = super()._lookup(exchange, routing_key, default)
        if not queues and exchange and self.typeof(exchange).type == "direct":
            raise filesystem.ChannelError(
                f"no queue is bound to exchange {exchange!r} for {routing_key!r}"
            )
        return queues


class Transport(filesystem.Transport):
    Channel = Channel
