"""Shared by the peer scripts (peer_*.py), which import it from their own
folder: the emulator they drive, a check counter, sessions and clients of
the real Python peer, azure-servicemanagement-legacy, and waiting for or
expecting errors from its calls.

Input (environment): ASM_EMULATOR, the JSON line the asm-emulator binary
printed.
"""

import json
import os
import sys
import uuid

import requests
from azure.common import AzureHttpError

INFO = json.loads(os.environ["ASM_EMULATOR"])
HOST = INFO["endpoint"][len("https://"):]
SUB = INFO["subscription_id"]
# A suffix that keeps the names one run creates apart from another's.
RUN = uuid.uuid4().hex[:8]

# How many checks have passed so far.
checks = 0


def check(cond, what):
    """Counts a check; exits non-zero, naming it, if it failed."""
    global checks
    checks += 1
    if not cond:
        print("FAILED: " + what, file=sys.stderr)
        sys.exit(1)


def session(cert):
    """A requests session that trusts only the emulator's CA and presents
    the certificate (and key) file `cert`, if any."""
    s = requests.Session()
    # The machine exports REQUESTS_CA_BUNDLE; trust only the emulator's CA.
    s.trust_env = False
    s.verify = INFO["ca"]
    if cert:
        s.cert = cert
    return s


def client(cls, cert=INFO["client_cert"]):
    """A peer client of class `cls` (ServiceManagementService, ...) for the
    emulator's first subscription, presenting `cert` (by default its
    management certificate; None: no certificate)."""
    return cls(SUB, request_session=session(cert), host=HOST)


def expect_error(status, fn, *args, **kwargs):
    """Calls fn(*args, **kwargs) and checks that it fails with HTTP
    `status`; returns the error."""
    try:
        fn(*args, **kwargs)
    except AzureHttpError as e:
        check(e.status_code == status, "%s: expected %d, got %d (%s)" % (fn.__name__, status, e.status_code, e))
        return e
    check(False, "%s: expected an error %d, got success" % (fn.__name__, status))


def operation_status(sms, request_id):
    """Polls the asynchronous operation `request_id` until it ends (20 s at
    most); returns its final status."""
    return sms.wait_for_operation_status(
        request_id, timeout=20, sleep_interval=0.05,
        progress_callback=None, success_callback=None, failure_callback=None)


def wait(sms, request_id):
    """Waits for the asynchronous operation `request_id` and checks that it
    succeeded; returns its final status."""
    status = operation_status(sms, request_id)
    check(status.status == "Succeeded", "operation %s succeeded: %s" % (request_id, status.status))
    return status
