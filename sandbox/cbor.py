"""A small CBOR codec (RFC 8949) for the Smithy RPC v2 CBOR protocol.

botocore speaks `smithy-rpc-v2-cbor` to CodeDeploy and CodePipeline, so the sandbox must
decode CBOR requests and encode CBOR responses. Timestamps use tag 1 (epoch seconds).
"""

import io
import struct
from datetime import UTC, datetime


class CBORError(ValueError):
    pass


def _head(major: int, value: int) -> bytes:
    if value < 24:
        return bytes([(major << 5) | value])
    for info, size in ((24, 1), (25, 2), (26, 4), (27, 8)):
        if value < 1 << (8 * size):
            return bytes([(major << 5) | info]) + value.to_bytes(size, "big")
    raise CBORError("integer too large")


def encode(value) -> bytes:
    out = bytearray()
    _encode(out, value)
    return bytes(out)


def _encode(out: bytearray, value) -> None:
    if value is None:
        out.append(0xF6)
    elif value is True:
        out.append(0xF5)
    elif value is False:
        out.append(0xF4)
    elif isinstance(value, int):
        out += _head(0, value) if value >= 0 else _head(1, -1 - value)
    elif isinstance(value, float):
        out += b"\xfb" + struct.pack(">d", value)
    elif isinstance(value, str):
        data = value.encode()
        out += _head(3, len(data)) + data
    elif isinstance(value, bytes | bytearray):
        out += _head(2, len(value)) + bytes(value)
    elif isinstance(value, datetime):
        out += b"\xc1"
        _encode(out, value.timestamp())
    elif isinstance(value, dict):
        out += _head(5, len(value))
        for key, item in value.items():
            _encode(out, key)
            _encode(out, item)
    elif isinstance(value, list | tuple):
        out += _head(4, len(value))
        for item in value:
            _encode(out, item)
    else:
        raise CBORError(f"cannot encode {type(value).__name__}")


def decode(data: bytes):
    if not data:
        return {}
    stream = io.BytesIO(data)
    value = _decode(stream)
    if stream.read(1):
        raise CBORError("trailing bytes after CBOR item")
    return value


_BREAK = object()


def _read(stream: io.BytesIO, size: int) -> bytes:
    data = stream.read(size)
    if len(data) != size:
        raise CBORError("truncated CBOR")
    return data


def _argument(stream: io.BytesIO, info: int) -> int | None:
    if info < 24:
        return info
    if info in (24, 25, 26, 27):
        return int.from_bytes(_read(stream, 1 << (info - 24)), "big")
    if info == 31:
        return None
    raise CBORError(f"bad additional information {info}")


def _decode(stream: io.BytesIO):
    initial = _read(stream, 1)[0]
    major, info = initial >> 5, initial & 0x1F
    if major == 7:
        return _simple(stream, info)
    arg = _argument(stream, info)
    if major == 0:
        return arg
    if major == 1:
        return -1 - arg
    if major in (2, 3):
        if arg is None:
            chunks = []
            while (item := _decode(stream)) is not _BREAK:
                chunks.append(item.encode() if isinstance(item, str) else item)
            data = b"".join(chunks)
        else:
            data = _read(stream, arg)
        return data if major == 2 else data.decode()
    if major == 4:
        if arg is None:
            items = []
            while (item := _decode(stream)) is not _BREAK:
                items.append(item)
            return items
        return [_decode(stream) for _ in range(arg)]
    if major == 5:
        result = {}
        while arg is None or len(result) < arg:
            key = _decode(stream)
            if key is _BREAK:
                break
            result[key] = _decode(stream)
        return result
    # major 6: tags; tag 1 is an epoch timestamp, others pass their value through.
    value = _decode(stream)
    if arg == 1 and isinstance(value, int | float):
        return datetime.fromtimestamp(value, UTC)
    return value


def _simple(stream: io.BytesIO, info: int):
    if info == 20:
        return False
    if info == 21:
        return True
    if info in (22, 23):
        return None
    if info == 25:
        return struct.unpack(">e", _read(stream, 2))[0]
    if info == 26:
        return struct.unpack(">f", _read(stream, 4))[0]
    if info == 27:
        return struct.unpack(">d", _read(stream, 8))[0]
    if info == 31:
        return _BREAK
    raise CBORError(f"unsupported simple value {info}")
