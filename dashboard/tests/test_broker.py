"""The demo's file broker hands a consumer whole messages only, however fast producer and consumer race."""

import threading

import pytest
from kombu import Connection

MESSAGES = 300


def _connection(folder, transport):
    options = {"data_folder_in": str(folder), "data_folder_out": str(folder), "polling_interval": 0}
    options["control_folder"] = str(folder / "control")
    return Connection("filesystem://localhost//", transport=transport, transport_options=options)


@pytest.mark.parametrize("transport", ["dashboard.broker:Transport"])
def test_a_consumer_racing_a_producer_reads_every_message_whole(tmp_path, transport):
    body = {"padding": "x" * 200_000}  # a big message keeps the writer busy long enough to be caught
    received, errors = [], []
    with _connection(tmp_path, transport) as producer, _connection(tmp_path, transport) as consumer:
        outbox, inbox = producer.SimpleQueue("race"), consumer.SimpleQueue("race")

        def consume():
            while len(received) + len(errors) < MESSAGES:
                try:
                    message = inbox.get(timeout=10)
                except Exception as error:  # noqa: BLE001 - a half-read message surfaces as a decode error
                    errors.append(error)
                    continue
                received.append(message.payload["n"])
                message.ack()

        reader = threading.Thread(target=consume)
        reader.start()
        for n in range(MESSAGES):
            outbox.put({"n": n, **body})
        reader.join(timeout=60)
    assert errors == []
    assert sorted(received) == list(range(MESSAGES))
