"""Just enough raw HTTP/2 (RFC 9113) to misbehave on purpose: a client that
ignores the server's SETTINGS or never reads. HPACK: literal fields without
indexing or Huffman (RFC 7541 §6.2.2), which every decoder must accept."""
import socket
import ssl
import struct
import time

PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
DATA, HEADERS, RST_STREAM, SETTINGS, GOAWAY = 0x0, 0x1, 0x3, 0x4, 0x7
END_STREAM, END_HEADERS = 0x1, 0x4


def frame(ftype, flags, stream_id, payload=b""):
    return struct.pack(">I", len(payload))[1:] + bytes([ftype, flags]) + \
        struct.pack(">I", stream_id & 0x7FFFFFFF) + payload


def _int7(n):
    if n < 127:
        return bytes([n])
    out, n = bytearray([127]), n - 127
    while n >= 128:
        out.append((n & 0x7F) | 0x80)
        n >>= 7
    out.append(n)
    return bytes(out)


def hpack(headers):
    out = b""
    for k, v in headers:
        k, v = k.encode(), v.encode()
        out += b"\x00" + _int7(len(k)) + k + _int7(len(v)) + v
    return out


def get_request(stream_id, authority, path):
    block = hpack([(":method", "GET"), (":scheme", "https"), (":authority", authority),
                   (":path", path), ("accept", "application/dns-message")])
    return frame(HEADERS, END_STREAM | END_HEADERS, stream_id, block)


def count_frames(sock, seconds, stop_after_data_end=None):
    """Reads frames for up to `seconds`; counts them by type, and streams whose
    DATA ended ("ended"). Stops early on GOAWAY, EOF or `stop_after_data_end`."""
    counts, buf = {}, b""
    deadline = time.time() + seconds
    sock.settimeout(0.2)
    while time.time() < deadline:
        try:
            chunk = sock.recv(65536)
        except socket.timeout:
            continue
        except (OSError, ssl.SSLError):
            break
        if not chunk:
            break
        buf += chunk
        while len(buf) >= 9:
            length = int.from_bytes(buf[:3], "big")
            if len(buf) < 9 + length:
                break
            ftype, flags = buf[3], buf[4]
            counts[ftype] = counts.get(ftype, 0) + 1
            if ftype == DATA and flags & END_STREAM:
                counts["ended"] = counts.get("ended", 0) + 1
            if ftype == SETTINGS and not flags & 0x1:
                sock.sendall(frame(SETTINGS, 0x1, 0))   # ACK theirs
            buf = buf[9 + length:]
        if counts.get(GOAWAY) or (stop_after_data_end and
                                  counts.get("ended", 0) >= stop_after_data_end):
            break
    return counts
