#!/usr/bin/env python3
"""A fake `gh` for the Action test: serves `gh api` for pull-request comments from a JSON state
file ($FAKE_GH_STATE: {"comments": [{"id", "body"}], "calls": [...]}) and records every call.

Supported: gh api [--paginate] [--method GET|POST|PATCH] PATH [--jq EXPR] [-F|-f key=value|key=@file]
  GET   repos/O/R/issues/N/comments      -> the comments (filtered by the real jq with --jq)
  POST  repos/O/R/issues/N/comments      -> adds one
  PATCH repos/O/R/issues/comments/ID     -> edits it
With FAKE_GH_READONLY=1, POST and PATCH fail as with a fork's read-only token.
"""
import json
import os
import subprocess
import sys


def main():
    state_path = os.environ["FAKE_GH_STATE"]
    state = {"comments": [], "calls": []}
    if os.path.exists(state_path):
        with open(state_path) as fh:
            state = json.load(fh)
    args = sys.argv[1:]
    state["calls"].append({"argv": args, "token": bool(os.environ.get("GH_TOKEN"))})

    def save():
        with open(state_path, "w") as fh:
            json.dump(state, fh, indent=1)

    if not args or args[0] != "api":
        save()
        print(f"fake gh: unsupported command {args}", file=sys.stderr)
        sys.exit(2)
    method, path, jq, fields = "GET", None, None, {}
    i = 1
    while i < len(args):
        a = args[i]
        if a == "--paginate":
            pass
        elif a in ("--method", "-X"):
            i += 1
            method = args[i]
        elif a in ("--jq", "-q"):
            i += 1
            jq = args[i]
        elif a in ("-F", "-f", "--field", "--raw-field"):
            i += 1
            k, v = args[i].split("=", 1)
            if a in ("-F", "--field") and v.startswith("@"):
                with open(v[1:]) as fh:
                    v = fh.read()
            fields[k] = v
        elif path is None:
            path = a
        i += 1
    if not os.environ.get("GH_TOKEN"):
        save()
        print("gh: To use GitHub CLI in a GitHub Actions workflow, set the GH_TOKEN environment variable.", file=sys.stderr)
        sys.exit(4)
    parts = path.split("/")
    if method in ("POST", "PATCH") and os.environ.get("FAKE_GH_READONLY") == "1":
        save()
        print("gh: Resource not accessible by integration (HTTP 403)", file=sys.stderr)
        sys.exit(1)
    if method == "GET" and parts[-1] == "comments":
        out = json.dumps(state["comments"])
        save()
        if jq:
            p = subprocess.run(["jq", "-r", jq], input=out, capture_output=True, text=True)
            sys.stdout.write(p.stdout)
            sys.exit(p.returncode)
        print(out)
        return
    if method == "POST" and parts[-1] == "comments":
        new = {"id": 1000 + len(state["comments"]), "body": fields.get("body", "")}
        state["comments"].append(new)
        save()
        print(json.dumps(new))
        return
    if method == "PATCH" and parts[-2] == "comments":
        for c in state["comments"]:
            if str(c["id"]) == parts[-1]:
                c["body"] = fields.get("body", "")
                save()
                print(json.dumps(c))
                return
        save()
        print("gh: Not Found (HTTP 404)", file=sys.stderr)
        sys.exit(1)
    save()
    print(f"fake gh: unsupported api call {method} {path}", file=sys.stderr)
    sys.exit(2)


if __name__ == "__main__":
    main()
