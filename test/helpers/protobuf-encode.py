"""Encodes Protobuf messages with Google's own implementation (Debian's python3-protobuf),
not protobufjs that Flowscope decodes with, so the decoder is checked against another
library's bytes.

Usage: protobuf-encode.py DIR MODULE, where DIR holds MODULE, the _pb2 module protoc
generated. Each stdin line is {"type": "pkg.Message", "value": {...}} with the value in
the proto3 JSON mapping (64-bit integers as decimal strings, enums by name); each stdout
line is the serialized message in base64.
"""

import base64
import importlib
import json
import sys

from google.protobuf import json_format, symbol_database

out_dir, module = sys.argv[1], sys.argv[2]
sys.path.insert(0, out_dir)
importlib.import_module(module)
db = symbol_database.Default()
for line in sys.stdin:
    req = json.loads(line)
    # Unknown field names fail here: a typo in a test must not become a silently missing field.
    msg = json_format.ParseDict(req["value"], db.GetSymbol(req["type"])())
    print(base64.b64encode(msg.SerializeToString()).decode("ascii"))
