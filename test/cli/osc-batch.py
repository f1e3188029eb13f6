"""Runs several `openstack ...` command lines in one Python process, each exactly as
/usr/bin/openstack runs it (openstackclient.shell.main(argv)), and prints one JSON list of
{argv, rc, stdout, stderr, seconds}. One interpreter start instead of one per command keeps
the CLI smoke test to seconds; the command path is the real CLI's.

stdin: a JSON list of argv lists (without the leading "openstack").
"""
import contextlib
import io
import json
import sys
import time

from openstackclient.shell import main

# octaviaclient's --wait polls every 3 s (osc_lib's wait loop sleeps); Fulcrum applies a
# change in well under a second, so the smoke test caps each sleep. The loop is the CLI's own.
_sleep = time.sleep
time.sleep = lambda seconds: _sleep(min(seconds, 0.25))

results = []
for argv in json.load(sys.stdin):
    out, err = io.StringIO(), io.StringIO()
    started = time.monotonic()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            rc = main(list(argv))
        except SystemExit as exit_:
            rc = exit_.code if isinstance(exit_.code, int) else 1
    results.append({"argv": argv, "rc": rc or 0, "stdout": out.getvalue(), "stderr": err.getvalue(),
                    "seconds": round(time.monotonic() - started, 3)})
json.dump(results, sys.stdout)
