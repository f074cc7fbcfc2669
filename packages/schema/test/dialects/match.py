# Reads "P <base64 UTF-8>" (patterns) and "S <base64 UTF-8>" (samples) lines
# on stdin and prints, per pattern, one '1' or '0' per sample: whether
# Python's re finds the pattern in the sample, as the jsonschema package runs
# `pattern` (re.search). A pattern that does not compile is "ERROR <message>".
import base64
import re
import sys

patterns, samples = [], []
for line in sys.stdin.read().splitlines():
    kind, b64 = line.split(' ', 1)
    (patterns if kind == 'P' else samples).append(base64.b64decode(b64).decode('utf-8'))
for p in patterns:
    try:
        r = re.compile(p)
    except re.error as e:
        print('ERROR ' + str(e).replace('\n', ' '))
        continue
    print(''.join('1' if r.search(s) else '0' for s in samples))
