"""The embedded broker (no REDIS_URL): kombu's filesystem transport, with each message whole before a worker sees it.

kombu creates a message's file and then writes into it; a worker looking every tenth of a second can take the file
while it is still empty, fail to decode it and stop ("Unrecoverable error: JSONDecodeError"). Here a message is
written under a name the workers skip and then renamed into place, which is atomic.
"""

import os
import uuid
from time import monotonic

from kombu.exceptions import ChannelError
from kombu.transport import filesystem
from kombu.utils.encoding import str_to_bytes
from kombu.utils.json import dumps


class Channel(filesystem.Channel):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Made here, not when settings are imported: only a process that uses the broker needs them.
        for folder in (self.data_folder_in, self.data_folder_out, self.processed_folder, self.control_folder):
            os.makedirs(folder, exist_ok=True)

    def _put(self, queue, payload, **kwargs):
        name = f"{round(monotonic() * 1000)}_{uuid.uuid4()}.{queue}.msg"
        final = os.path.join(self.data_folder_out, name)
        partial = os.path.join(self.data_folder_out, f"{name}.partial")  # not "<queue>.msg": workers skip it
        try:
            with open(partial, "wb") as f:
                f.write(str_to_bytes(dumps(payload)))
            os.replace(partial, final)
        except OSError as exc:
            raise ChannelError(f"Cannot add file {final!r} to directory") from exc


class Transport(filesystem.Transport):
    Channel = Channel
