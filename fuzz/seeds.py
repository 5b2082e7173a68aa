#!/usr/bin/env python3
"""Seed corpora for the fuzz targets from the conformance vectors (host-tests/vectors): every
step's request as a runner sends it (v, profile and the file's state added), and every state.

    python3 fuzz/seeds.py OUT_DIR     # writes OUT_DIR/wire_call/, OUT_DIR/state_reader/
"""
import hashlib
import json
import os
import sys

root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "host-tests", "vectors")
out = sys.argv[1]
seeds = {"wire_call": set(), "state_reader": set()}
for dirpath, _, files in os.walk(root):
    for name in sorted(files):
        if not name.endswith(".json"):
            continue
        with open(os.path.join(dirpath, name), encoding="utf-8") as f:
            story = json.load(f)
        state = story["state"]
        seeds["state_reader"].add(json.dumps(state, ensure_ascii=False))
        for step in story["steps"]:
            request = dict(step["request"])
            request.update({"v": 1, "profile": story["profile"], "state": state})
            text = json.dumps(request, ensure_ascii=False)
            seeds["wire_call"].add(text)
for target, texts in seeds.items():
    os.makedirs(os.path.join(out, target), exist_ok=True)
    for text in texts:
        data = text.encode("utf-8")
        with open(os.path.join(out, target, hashlib.sha1(data).hexdigest()), "wb") as f:
            f.write(data)
    print(f"{target}: {len(texts)} seeds")
