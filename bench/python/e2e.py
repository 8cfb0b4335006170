"""End-to-end calls of the Python peer client against the emulator.

azure-servicemanagement-legacy 0.20.8's ServiceManagementService, configured
the way tests/python/peer_scenario.py does (a requests session trusting the
emulator's CA, presenting the management certificate); each worker thread has
its own client, hence its own keep-alive connection.

usage: e2e.py OPERATION CONCURRENCY SECONDS [REQUEST_ID]
  OPERATION: GetOperationStatus | ListLocations
environment: ASM_EMULATOR, the JSON line the emulator announces
prints one JSON object: {"requests", "seconds", "p50_ms", "p99_ms", "errors"}
"""
import json
import math
import os
import sys
import threading
import time

import requests
from azure.servicemanagement import ServiceManagementService

INFO = json.loads(os.environ["ASM_EMULATOR"])
HOST = INFO["endpoint"][len("https://"):]


def client():
    s = requests.Session()
    s.trust_env = False
    s.verify = INFO["ca"]
    s.cert = INFO["client_cert"]
    return ServiceManagementService(INFO["subscription_id"], request_session=s, host=HOST)


def main():
    op, conc, seconds = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
    request_id = sys.argv[4] if len(sys.argv) > 4 else None

    def call(sms):
        if op == "GetOperationStatus":
            r = sms.get_operation_status(request_id)
            assert r.status, "no status"
        elif op == "ListLocations":
            r = sms.list_locations()
            assert len(r) > 0, "no locations"
        else:
            raise SystemExit("unknown operation " + op)

    barrier = threading.Barrier(conc + 1)
    latencies = [[] for _ in range(conc)]
    errors = [0] * conc
    deadline = [0.0]

    def worker(i):
        sms = client()
        call(sms)  # connect and warm up
        barrier.wait()
        lat = latencies[i]
        while True:
            t = time.perf_counter()
            if t >= deadline[0]:
                break
            try:
                call(sms)
            except Exception:  # counted, not fatal
                errors[i] += 1
                continue
            lat.append(time.perf_counter() - t)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(conc)]
    for t in threads:
        t.start()
    deadline[0] = time.perf_counter() + 3600
    barrier.wait()
    started = time.perf_counter()
    deadline[0] = started + seconds
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - started
    all_lat = sorted(x for lat in latencies for x in lat)

    def pct(p):
        if not all_lat:
            return float("nan")
        return all_lat[max(1, math.ceil(p * len(all_lat))) - 1] * 1000.0

    print(json.dumps({"requests": len(all_lat), "seconds": elapsed,
                      "p50_ms": pct(0.5), "p99_ms": pct(0.99), "errors": sum(errors)}))


if __name__ == "__main__":
    main()
