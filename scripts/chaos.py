#!/usr/bin/env python3
"""Chaos run on PostgreSQL: two `ioc serve` replicas ingest a stream of events while faults are
injected, then every acknowledged event is checked to be stored exactly once and the two
replicas' figures are compared.

Faults, in this order, while clients keep sending:
  1. kill -9 of replica A in the middle of ingest, restarted 2 s later;
  2. replica B's database connections cut again and again for 10 s (pg_terminate_backend);
  3. a write lock on the ingest table held for 6 s by another session.

Clients post batches of `complaint_received` events (one `don_thu` row each) to A and B in
turn and re-send a batch (same event ids) until one replica acknowledges it, as a real sender
would. At the end: the number of new `don_thu` rows equals the number of distinct events, every
event id is in `ingested_events` once, and both replicas (and a third instance started fresh)
show the same national and provincial figures.

Usage (from the repository root, after `cargo build --release -p server`):
    python3 scripts/chaos.py [--events 4000] [--clients 4] [--scale 0.01]
Needs PostgreSQL (TEST_DATABASE_URL or postgres://postgres@127.0.0.1:5432/test); creates and
drops its own database. Prints one JSON summary line; exit status 1 when a check fails.
"""

import argparse
import json
import os
import random
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request

IOC = os.path.join("target", "release", "ioc")
TOKEN = "chaos-token"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def psql(admin, sql):
    return subprocess.run(["psql", admin, "-Atqc", sql], check=True, capture_output=True,
                          text=True).stdout.strip()


class Replica:
    def __init__(self, name, url, log_dir):
        self.name, self.port = name, free_port()
        self.url = f"{url}?application_name=ioc_{name}"
        self.log = open(os.path.join(log_dir, f"{name}.log"), "a")
        self.proc = None

    def start(self):
        # No language model: this run is about the feed, not the questions.
        env = dict(os.environ, IOC_INGEST_TOKEN=TOKEN, RUST_LOG="warn",
                   IOC_MODEL_PATH=os.path.join("target", "chaos", "no-model.gguf"))
        self.proc = subprocess.Popen(
            [IOC, "--database-url", self.url, "serve", "--addr", f"127.0.0.1:{self.port}"],
            env=env, stdout=self.log, stderr=self.log)
        deadline = time.time() + 120
        while time.time() < deadline:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/api/health",
                                            timeout=2):
                    return
            except urllib.error.HTTPError:
                return  # answering (even 503)
            except OSError:
                time.sleep(0.2)
        raise SystemExit(f"replica {self.name} did not start")

    def kill(self):
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.kill()

    def snapshot(self, kiosk):
        """The national and provincial figures of the first `kpi` event of /api/live."""
        req = urllib.request.Request(f"http://127.0.0.1:{self.port}/api/live",
                                     headers={"Authorization": f"Bearer {kiosk}"})
        with urllib.request.urlopen(req, timeout=30) as resp:
            event = None
            for raw in resp:
                line = raw.decode().strip()
                if line.startswith("event:"):
                    event = line[6:].strip()
                elif line.startswith("data:") and event == "kpi":
                    data = json.loads(line[5:])
                    return data["version"], data["national"], data["provinces"]
        raise SystemExit(f"no snapshot from {self.name}")


def post(replica, batch):
    body = json.dumps({"events": batch}).encode()
    req = urllib.request.Request(f"http://127.0.0.1:{replica.port}/api/events", data=body,
                                 headers={"Authorization": f"Bearer {TOKEN}",
                                          "Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=15) as resp:
            return resp.status, json.loads(resp.read())
    except urllib.error.HTTPError as e:
        return e.code, None
    except OSError:
        return None, None


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--events", type=int, default=4000)
    ap.add_argument("--batch", type=int, default=20)
    ap.add_argument("--clients", type=int, default=4)
    ap.add_argument("--scale", type=float, default=0.01)
    args = ap.parse_args()

    admin = os.environ.get("TEST_DATABASE_URL") or "postgres://postgres@127.0.0.1:5432/test"
    name = f"ioc_chaos_{os.getpid()}"
    base = admin.rsplit("/", 1)[0]
    url = f"{base}/{name}"
    log_dir = os.path.join("target", "chaos")
    os.makedirs(log_dir, exist_ok=True)
    psql(admin, f"CREATE DATABASE {name}")
    replicas = []
    try:
        subprocess.run([IOC, "--database-url", url, "seed", "--scale", str(args.scale)],
                       check=True, capture_output=True)
        kiosk = subprocess.run([IOC, "--database-url", url, "kiosk-token", "create"],
                               check=True, capture_output=True, text=True).stdout.splitlines()[0].split()[-1]
        before = int(psql(url, "SELECT COUNT(*) FROM don_thu"))
        a, b = Replica("a", url, log_dir), Replica("b", url, log_dir)
        replicas = [a, b]
        for r in replicas:
            r.start()

        offices = psql(url, "SELECT ma FROM don_vi WHERE cap = 'tinh' ORDER BY ma").split()
        run = os.getpid()
        events = [{"type": "complaint_received", "id": f"chaos-{run}-{i}",
                   "don_vi": random.choice(offices), "loai": "kien_nghi", "kenh": "qr",
                   "ngay_nhan": "2026-11-20"} for i in range(args.events)]
        batches = [events[i:i + args.batch] for i in range(0, len(events), args.batch)]
        queue = list(range(len(batches)))
        lock = threading.Lock()
        stats = {"acked_batches": 0, "retries": 0, "statuses": {}}

        def client(k):
            turn = k
            while True:
                with lock:
                    if not queue:
                        return
                    i = queue.pop()
                while True:
                    replica = replicas[turn % 2]
                    turn += 1
                    status, ack = post(replica, batches[i])
                    with lock:
                        stats["statuses"][str(status)] = stats["statuses"].get(str(status), 0) + 1
                    if status == 200 and ack and ack["accepted"] + ack["duplicates"] == len(batches[i]):
                        with lock:
                            stats["acked_batches"] += 1
                        break
                    with lock:
                        stats["retries"] += 1
                    time.sleep(0.2)

        threads = [threading.Thread(target=client, args=(k,)) for k in range(args.clients)]
        started = time.time()
        for t in threads:
            t.start()

        def progress():
            with lock:
                return 1 - len(queue) / len(batches)

        faults = []
        while progress() < 0.2:
            time.sleep(0.1)
        a.kill()
        faults.append("kill -9 A")
        time.sleep(2)
        a.start()
        while progress() < 0.45:
            time.sleep(0.1)
        cut_until = time.time() + 10
        cuts = 0
        while time.time() < cut_until:
            psql(admin, "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                        f"WHERE datname = '{name}' AND application_name = 'ioc_b'")
            cuts += 1
            time.sleep(0.5)
        faults.append(f"B's connections cut {cuts} times over 10 s")
        while progress() < 0.7:
            time.sleep(0.1)
        subprocess.run(["psql", url, "-Atqc",
                        "BEGIN; LOCK TABLE ingested_events IN EXCLUSIVE MODE; "
                        "SELECT pg_sleep(6); COMMIT;"], check=True, capture_output=True)
        faults.append("write lock on ingested_events for 6 s")
        for t in threads:
            t.join()
        elapsed = time.time() - started

        stored = int(psql(url, "SELECT COUNT(*) FROM don_thu")) - before
        ids = psql(url, f"SELECT COUNT(*), COUNT(DISTINCT event_id) FROM ingested_events "
                        f"WHERE event_id LIKE 'chaos-{run}-%'").split("|")
        # Both replicas have applied everything once their version reaches the log's head.
        head = int(psql(url, "SELECT COALESCE(MAX(pos), 0) FROM change_log"))
        deadline = time.time() + 60
        snaps = {}
        while time.time() < deadline:
            snaps = {r.name: r.snapshot(kiosk) for r in replicas}
            if all(v[0] >= head for v in snaps.values()):
                break
            time.sleep(1)
        fresh = Replica("fresh", url, log_dir)
        replicas.append(fresh)
        fresh.start()
        snaps["fresh"] = fresh.snapshot(kiosk)
        same = all(s[1:] == snaps["a"][1:] for s in snaps.values())
        lost = args.events - stored
        summary = {
            "events": args.events, "batches": len(batches), "clients": args.clients,
            "elapsed_s": round(elapsed, 1), "faults": faults,
            "retries": stats["retries"], "statuses": stats["statuses"],
            "rows_stored": stored, "lost": max(lost, 0), "double_applied": max(-lost, 0),
            "ingested_ids": int(ids[0]), "distinct_ids": int(ids[1]),
            "log_head": head, "versions": {k: v[0] for k, v in snaps.items()},
            "replicas_equal": same,
        }
        print(json.dumps(summary))
        ok = lost == 0 and int(ids[0]) == int(ids[1]) == args.events and same
        sys.exit(0 if ok else 1)
    finally:
        for r in replicas:
            r.stop()
        psql(admin, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


if __name__ == "__main__":
    main()
