"""Times the Python peer's own response parser on the benchmark documents.

azure-servicemanagement-legacy 0.20.8 turns a response body into its models
in `_ServiceManagementClient._perform_get` with
`_MinidomXmlToObject.parse_response(response, response_type)`: minidom parses
the body, then `_fill_data_to_return_object` walks the model. This script
calls exactly that, on the same bytes the Rust decoder is timed on.

usage: decode.py RUNS FILE:ModelClass [FILE:ModelClass ...]
prints one JSON object per file: {"file", "type", "bytes", "seconds": [...]}.
"""
import json
import sys
import time

from azure.servicemanagement import models
from azure.servicemanagement._serialization import _MinidomXmlToObject


class Response:
    """The only attribute parse_response reads is .body."""

    def __init__(self, body):
        self.body = body


def main():
    runs = int(sys.argv[1])
    for arg in sys.argv[2:]:
        path, type_name = arg.rsplit(":", 1)
        model = getattr(models, type_name, None)
        with open(path, "rb") as f:
            body = f.read()
        if model is None:
            print(json.dumps({"file": path, "type": type_name,
                              "skipped": "the peer has no model " + type_name}), flush=True)
            continue
        seconds = []
        try:
            for _ in range(runs):
                started = time.perf_counter()
                value = _MinidomXmlToObject.parse_response(Response(body), model)
                seconds.append(time.perf_counter() - started)
        except Exception as e:  # a real document the peer cannot read
            print(json.dumps({"file": path, "type": type_name,
                              "skipped": "the peer fails: %s" % type(e).__name__}), flush=True)
            continue
        # A sanity check that the parse produced a populated model.
        if hasattr(value, "deployments"):
            items = len(value.deployments)
        elif hasattr(value, "subscription_operations"):
            items = len(value.subscription_operations)
        else:
            try:
                items = len(value)
            except TypeError:
                items = 1
        print(json.dumps({"file": path, "type": type_name, "bytes": len(body),
                          "items": items, "seconds": seconds}), flush=True)


if __name__ == "__main__":
    main()
