"""A root key roll in a running lab (RFC 5011 tests): publish a second root KSK in a DNSKEY
RRset signed by the first, then sign with the new key only and revoke the old one. The root
zone is re-signed from the lab's unsigned root.zone with ldns-signzone (same ZSK, so every
other signature in the lab stays good) and its NSD restarted; restore() puts the lab's own
signed root back, so the tests after it see the lab as built."""
import os
import shutil
import subprocess
import time

import build

ROOT_SERVER = "root"


def key_flags(basename):
    _, rdata = build.read_dnskey(basename + ".key")
    return int(rdata.split()[0])


class RootRoll:
    def __init__(self, lab, workdir):
        self.lab, self.workdir = lab, str(workdir)
        self.src = lab.path("zones", "root.zone")
        self.signed = self.src + ".signed"
        with open(self.signed) as f:
            self.original = f.read()
        keydir = lab.path("keys", "root")
        keys = sorted(os.path.join(keydir, k[:-4]) for k in os.listdir(keydir)
                      if k.endswith(".key"))
        self.old_ksk = next(k for k in keys if key_flags(k) == 257)
        self.zsk = next(k for k in keys if key_flags(k) == 256)
        self.new_ksk = None

    def _sign(self, keys):
        now = int(time.time())
        out = os.path.join(self.workdir, "root.zone.signed")
        build.run(["ldns-signzone", "-o", ".", "-f", out, "-i", str(now - build.SIG_BACKDATE),
                   "-e", str(now + build.SIG_VALIDITY), self.src] + keys, self.workdir)
        # ldns-signzone may write a revoked key's DNSKEY twice: an RRset has no duplicates
        lines, seen = [], set()
        for line in open(out).read().splitlines():
            if line not in seen:
                seen.add(line)
                lines.append(line)
        self._serve("\n".join(lines) + "\n")

    def _serve(self, text):
        with open(self.signed, "w") as f:
            f.write(text)
        self.lab.stop_server(ROOT_SERVER)
        self.lab.start_server(ROOT_SERVER)

    def add_new_ksk(self):
        """Step 1: a second KSK (same algorithm) published, the set signed by both."""
        alg = build.ALG_NAMES[build.ZONES[0].alg]
        name = build.run(["ldns-keygen", "-a", alg, "-b", "2048", "-k", "."], self.workdir)
        self.new_ksk = os.path.join(self.workdir, name)
        self._sign([self.old_ksk, self.new_ksk, self.zsk])
        return build.read_dnskey(self.new_ksk + ".key")[1]

    def switch_to_new_ksk(self):
        """Step 2: the DNSKEY set signed by the new KSK; the old one published with the
        REVOKE bit and signing the set itself (RFC 5011 §2.1)."""
        revoked_dir = os.path.join(self.workdir, "revoked")
        os.makedirs(revoked_dir, exist_ok=True)
        revoked = os.path.join(revoked_dir, os.path.basename(self.old_ksk))
        for ext in (".key", ".private"):
            shutil.copy(self.old_ksk + ext, revoked + ext)
        subprocess.run(["ldns-revoke", revoked + ".key"], check=True, capture_output=True)
        self._sign([revoked, self.new_ksk, self.zsk])

    def restore(self):
        self._serve(self.original)
