"""The embedded broker: kombu's filesystem transport with atomic message files."""

import builtins
import threading

import pytest
from kombu import Connection
from kombu.transport.virtual import BrokerState

from compliance.core import broker


@pytest.fixture
def connection(tmp_path):
    folder = tmp_path / "queue"
    folder.mkdir()
    options = {
        "data_folder_in": str(folder),
        "data_folder_out": str(folder),
        "control_folder": str(tmp_path / "control"),  # kombu's default is ./control
    }
    # kombu's filesystem transport keeps declared bindings in state global to the process:
    # a binding declared earlier in the run (Celery publishing to the settings' folders)
    # would keep this test's own exchange table from being written, and its messages would
    # be routed nowhere. A transport class of its own starts with empty state.
    transport = type("IsolatedTransport", (broker.Transport,), {"global_state": BrokerState()})
    with Connection("filesystem://", transport=transport, transport_options=options) as conn:
        yield conn


def test_a_consumer_never_takes_a_message_still_being_written(connection, monkeypatch):
    """kombu's own transport creates the file under its final name before writing it, so a
    consumer polling at that moment takes an empty file and the message is lost."""
    consumer = connection.clone().SimpleQueue("takedowns")
    seen_while_writing = []

    class WatchedFile:
        def __init__(self, *args, **kwargs):
            self.file = builtins.open(*args, **kwargs)  # noqa: SIM115 - closed in __exit__

        def write(self, data):
            try:
                seen_while_writing.append(consumer.get(block=False).payload)
            except consumer.Empty:
                seen_while_writing.append(None)
            return self.file.write(data)

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            self.file.close()

    monkeypatch.setattr(broker, "open", WatchedFile, raising=False)
    connection.SimpleQueue("takedowns").put({"request": 42})
    assert seen_while_writing == [None]  # nothing to take while the content is unwritten
    message = consumer.get(timeout=5)
    assert message.payload == {"request": 42}
    message.ack()
    consumer.close()


def test_no_message_is_lost_between_a_busy_producer_and_consumer(connection):
    sent = 300
    received = []

    def produce():
        with connection.clone() as producer_connection:
            queue = producer_connection.SimpleQueue("default")
            for n in range(sent):
                queue.put({"n": n})
            queue.close()

    # Bound before anything is sent, as a worker's queue is: kombu keeps bindings in state
    # shared by the threads of a process, so a producer thread binding at the same moment
    # may skip writing the exchange table and route its first messages nowhere.
    queue = connection.SimpleQueue("default")
    producer = threading.Thread(target=produce)
    producer.start()
    while len(received) < sent:
        message = queue.get(timeout=10)
        received.append(message.payload["n"])
        message.ack()
    producer.join()
    queue.close()
    assert sorted(received) == list(range(sent))


def test_a_message_no_queue_would_receive_is_refused_not_dropped(connection):
    from kombu import Exchange, Producer

    channel = connection.channel()
    exchange = Exchange("takedowns", type="direct")
    exchange.declare(channel=channel)
    producer = Producer(channel, exchange=exchange)
    with pytest.raises(broker.filesystem.ChannelError, match="no queue is bound"):
        producer.publish({"request": 7}, routing_key="nowhere")
    channel.close()
