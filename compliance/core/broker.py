"""kombu's filesystem transport, made safe for a producer and a consumer on one folder.

kombu's own `_put` creates the message file under its final name and only then writes to
it, while a polling worker takes any file with that name: it can take one still empty and
lose the message (seen as a takedown task that never arrived). Here the message is written
under a name no consumer looks at and then renamed into place, which is atomic.
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


class Transport(filesystem.Transport):
    Channel = Channel
