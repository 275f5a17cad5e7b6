#!/usr/bin/env python3
"""Reads .eml files with Python's email package (policy=email.policy.default)
and prints, per file, one JSON object with the fields our parser is compared
on: subject, from, to, date (ISO 8601 UTC), messageId and the text/plain body.

The differential test in DifferentialTests.swift runs this over the fixture
corpus; every disagreement must be listed, with who is right, in
Fixtures/corpus/python-disagreements.json.
"""
import email
import json
import os
import sys
from datetime import timezone
from email import policy


def field(function):
    try:
        return function()
    except Exception as error:  # a broken header must not hide the other fields
        return {"error": type(error).__name__}


def main(paths):
    for path in paths:
        with open(path, "rb") as handle:
            message = email.message_from_bytes(handle.read(), policy=policy.default)
        result = {"file": os.path.basename(path)}

        def subject():
            value = message["subject"]
            return None if value is None else str(value)

        def sender():
            header = message["from"]
            if header is None or not header.addresses:
                return None
            first = header.addresses[0]
            return {"name": first.display_name or None, "address": first.addr_spec}

        def recipients():
            header = message["to"]
            return [] if header is None else [a.addr_spec for a in header.addresses]

        def date():
            header = message["date"]
            if header is None or header.datetime is None or header.datetime.tzinfo is None:
                return None
            return header.datetime.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")

        def message_id():
            value = message["message-id"]
            return None if value is None else str(value).strip()

        def text():
            body = message.get_body(preferencelist=("plain",))
            return None if body is None else body.get_content()

        result["subject"] = field(subject)
        result["from"] = field(sender)
        result["to"] = field(recipients)
        result["date"] = field(date)
        result["messageId"] = field(message_id)
        result["text"] = field(text)
        print(json.dumps(result, ensure_ascii=False))


if __name__ == "__main__":
    main(sys.argv[1:])
