"""A black hole for the servers of deadns.lab. (tools/lab/zones.py): UDP and TCP sockets on
both of its addresses that never answer (TCP handshakes complete in the kernel; nothing is
accepted), so every resolution sent there is held until the resolver's timeout. Used by
test_client_bounds.py and by the soak (tools/bench/soak_attacks.py), with the lab's "good"
NSD stopped first. Remembers the question names that reach it over UDP."""
import collections
import errno
import socket
import threading
import time

import dns.message

HOLES = ("127.100.13.1", "127.100.99.1")   # deadns.lab.'s two servers
HANG_ZONE = "deadns.lab."


def _bind(sock, address, timeout=10.0):
    """Binds port 53, waiting while the NSD just stopped there lets go of it: its server
    child can outlive the main process that stop_server() waited for."""
    deadline = time.time() + timeout
    while True:
        try:
            sock.bind((address, 53))
            return
        except OSError as e:
            if e.errno != errno.EADDRINUSE or time.time() > deadline:
                raise
            time.sleep(0.05)


class BlackHole:
    def __init__(self):
        self.names = collections.Counter()
        self.socks, self.threads, self.stop = [], [], threading.Event()
        for a in HOLES:
            u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            _bind(u, a)
            u.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
            u.settimeout(0.1)
            t = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            t.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            _bind(t, a)
            t.listen(4096)
            self.socks += [u, t]
            th = threading.Thread(target=self._read, args=(u,), daemon=True)
            th.start()
            self.threads.append(th)

    def _read(self, u):
        while not self.stop.is_set():
            try:
                wire = u.recv(65535)
            except socket.timeout:
                continue
            except OSError:
                return
            try:
                self.names[dns.message.from_wire(wire).question[0].name.to_text().lower()] += 1
            except Exception:   # noqa: BLE001  (not ours to judge)
                self.names["<undecodable>"] += 1

    @property
    def datagrams(self):
        return sum(self.names.values())

    def started(self, prefix):
        """Distinct names starting with `prefix` that reached the black hole."""
        return len([n for n in list(self.names) if n.startswith(prefix)])

    def close(self):
        # the readers stop first: a socket closed under a blocked recv() stays bound
        self.stop.set()
        for th in self.threads:
            th.join(5)
        for s in self.socks:
            s.close()
