#!/usr/bin/env python3
"""A small runner for composite GitHub Actions, emulating what the Actions runner does for one
`uses: ./` step (see shared/docs/integrations.md section 4):

- input defaults and `--with name=value`; composite actions get NO `INPUT_*` variables;
- `${{ inputs.* | steps.<id>.outputs.* | github.* | runner.* | env.* }}` in `env:`, `if:`,
  `working-directory:` and the action's `outputs.*.value`;
- `if:` with `==`/`!=` against a quoted literal, `&&`, `||`, `!`, success(), failure(), always();
  a step without `if:` runs only while every earlier step succeeded;
- per-step `env:` and `working-directory:`; `shell: bash` runs
  `bash --noprofile --norc -eo pipefail FILE` (a step without `shell:` is an error, as on GitHub);
- a fresh `GITHUB_OUTPUT` per step (`name=value` and `name<<DELIM` heredocs), `GITHUB_ENV`,
  `GITHUB_PATH`, `GITHUB_STEP_SUMMARY`, a pull_request event in `GITHUB_EVENT_PATH`;
- workflow commands on stdout: `::error|warning|notice props::message`, decoded as the runner
  decodes them (%25 %0D %0A, and %3A %2C in properties), collected as annotations;
- `uses: actions/cache@*` steps are emulated as a cache miss: `with:` is rendered (its `path` and
  `key` must not be empty), nothing is restored or saved, `cache-hit` is `false`. Other `uses:`
  steps are an error.

Usage: run_composite.py ACTION_DIR WORKSPACE [--with name=value]... [--event-json FILE]
                        [--action-ref REF] [--runner-os Linux|macOS|Windows] [--runner-arch X64|ARM64|...]
(`--action-ref`: `github.action_ref`, the ref the workflow's `uses: owner/repo@REF` names; empty
by default, as for `uses: ./`.)
Prints one JSON object on stdout: {"rc", "steps", "outputs", "annotations", "summary"}; the
steps' own output goes to stderr. Exit status 0 when every step succeeded, 1 otherwise.
"""
import argparse
import json
import os
import re
import subprocess
import sys
import tempfile

import yaml

EXPR = re.compile(r"\$\{\{\s*(.*?)\s*\}\}")


def unescape(s, prop=False):
    if prop:
        s = s.replace("%3A", ":").replace("%2C", ",")
    return s.replace("%0D", "\r").replace("%0A", "\n").replace("%25", "%")


def parse_command(line):
    m = re.match(r"^::(error|warning|notice)(?: ([^:]*))?::(.*)$", line)
    if not m:
        return None
    ann = {"level": m.group(1), "message": unescape(m.group(3))}
    for prop in (m.group(2) or "").split(","):
        if "=" in prop:
            k, v = prop.split("=", 1)
            ann[k.strip()] = unescape(v, prop=True)
    return ann


def parse_file_commands(path):
    out = {}
    if not os.path.exists(path):
        return out
    lines = open(path).read().split("\n")
    i = 0
    while i < len(lines):
        line = lines[i]
        if "<<" in line and ("=" not in line or line.index("<<") < line.index("=")):
            name, delim = line.split("<<", 1)
            value = []
            i += 1
            while i < len(lines) and lines[i] != delim:
                value.append(lines[i])
                i += 1
            if i >= len(lines):
                raise SystemExit(f"unterminated heredoc {delim!r} in {path}")
            out[name] = "\n".join(value)
        elif "=" in line:
            k, v = line.split("=", 1)
            out[k] = v
        elif line.strip():
            raise SystemExit(f"invalid file command line {line!r} in {path}")
        i += 1
    return out


class Context:
    def __init__(self, inputs, github, runner, env):
        self.inputs, self.github, self.runner, self.env = inputs, github, runner, env
        self.steps = {}
        self.failed = False

    def value(self, ref):
        ref = ref.strip()
        if (ref.startswith("'") and ref.endswith("'")) and len(ref) >= 2:
            return ref[1:-1].replace("''", "'")
        if ref in ("true", "false"):
            return ref
        parts = ref.split(".")
        if parts[0] == "inputs":
            return self.inputs.get(parts[1], "")
        if parts[0] == "github":
            return self.github.get(parts[1], "")
        if parts[0] == "runner":
            return self.runner.get(parts[1], "")
        if parts[0] == "env":
            return self.env.get(parts[1], "")
        if parts[0] == "steps" and len(parts) >= 4 and parts[2] == "outputs":
            return self.steps.get(parts[1], {}).get("outputs", {}).get(parts[3], "")
        if parts[0] == "steps" and len(parts) == 3 and parts[2] in ("outcome", "conclusion"):
            return self.steps.get(parts[1], {}).get("outcome", "")
        raise SystemExit(f"unsupported expression {ref!r}")

    def condition(self, expr):
        expr = expr.strip()
        m = EXPR.fullmatch(expr)
        if m:
            expr = m.group(1)
        return self._or(expr)

    def _or(self, e):
        parts = split_top(e, "||")
        if len(parts) > 1:
            return any(self._and(p) for p in parts)
        return self._and(e)

    def _and(self, e):
        parts = split_top(e, "&&")
        if len(parts) > 1:
            return all(self._atom(p) for p in parts)
        return self._atom(e)

    def _atom(self, e):
        e = e.strip()
        if e.startswith("(") and e.endswith(")"):
            return self._or(e[1:-1])
        if e.startswith("!"):
            return not self._atom(e[1:])
        if e == "always()":
            return True
        if e == "success()":
            return not self.failed
        if e == "failure()":
            return self.failed
        for op in ("==", "!="):
            parts = split_top(e, op)
            if len(parts) == 2:
                a, b = (self.value(p).lower() for p in parts)
                return (a == b) if op == "==" else (a != b)
        v = self.value(e)
        return v not in ("", "false", "0")

    def render(self, text):
        return EXPR.sub(lambda m: str(self.value(m.group(1))), str(text))


def split_top(e, op):
    out, depth, quote, cur, i = [], 0, False, "", 0
    while i < len(e):
        c = e[i]
        if c == "'":
            quote = not quote
        if not quote:
            if c == "(":
                depth += 1
            elif c == ")":
                depth -= 1
            elif depth == 0 and e.startswith(op, i):
                out.append(cur)
                cur = ""
                i += len(op)
                continue
        cur += c
        i += 1
    out.append(cur)
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("action_dir")
    ap.add_argument("workspace")
    ap.add_argument("--with", dest="with_", action="append", default=[])
    ap.add_argument("--event-json", default="")
    ap.add_argument("--action-ref", default="")
    ap.add_argument("--runner-os", default="Linux")
    ap.add_argument("--runner-arch", default="X64")
    a = ap.parse_args()

    action_dir = os.path.abspath(a.action_dir)
    workspace = os.path.abspath(a.workspace)
    with open(os.path.join(action_dir, "action.yml")) as fh:
        action = yaml.safe_load(fh)
    if (action.get("runs") or {}).get("using") != "composite":
        raise SystemExit("not a composite action")

    temp = tempfile.mkdtemp(prefix="runner-temp-")
    event_path = os.path.join(temp, "event.json")
    event = {"pull_request": {"number": 7}, "repository": {"full_name": "org/repo"}}
    if a.event_json:
        with open(a.event_json) as fh:
            event = json.load(fh)
    with open(event_path, "w") as fh:
        json.dump(event, fh)

    github = {
        "token": "ghs_fake_token",
        "action_path": action_dir,
        "workspace": workspace,
        "repository": "org/repo",
        "event_name": "pull_request" if "pull_request" in event else "push",
        "event_path": event_path,
        "sha": "f913b6c0d1e2a3b4c5d6e7f8091a2b3c4d5e6f70",
        "action_ref": a.action_ref,
    }
    runner = {"temp": temp, "os": a.runner_os, "arch": a.runner_arch}
    base_env = dict(os.environ)
    base_env.update({
        "CI": "true",
        "GITHUB_ACTIONS": "true",
        "GITHUB_WORKSPACE": workspace,
        "GITHUB_ACTION_PATH": action_dir,
        "GITHUB_REPOSITORY": github["repository"],
        "GITHUB_EVENT_NAME": github["event_name"],
        "GITHUB_EVENT_PATH": event_path,
        "GITHUB_SHA": github["sha"],
        "RUNNER_TEMP": temp,
        "RUNNER_OS": a.runner_os,
        "RUNNER_ARCH": a.runner_arch,
    })
    ctx = Context({}, github, runner, {})
    given = dict(w.split("=", 1) for w in a.with_)
    for name, spec in (action.get("inputs") or {}).items():
        spec = spec or {}
        ctx.inputs[name] = given.pop(name) if name in given else ctx.render(spec.get("default", ""))
    if given:
        raise SystemExit(f"unexpected inputs {sorted(given)}")

    summary_path = os.path.join(temp, "step_summary.md")
    open(summary_path, "w").close()
    env_file = os.path.join(temp, "github_env")
    path_file = os.path.join(temp, "github_path")
    extra_env, extra_path = {}, []
    annotations, steps_report = [], []

    for n, step in enumerate(action["runs"]["steps"]):
        sid = step.get("id") or f"__step{n}"
        cond = step.get("if")
        # As on GitHub: an `if:` without a status function gets an implicit success() &&.
        if cond is None:
            run_it = not ctx.failed
        elif re.search(r"\b(always|failure|success|cancelled)\(\)", str(cond)):
            run_it = ctx.condition(cond)
        else:
            run_it = not ctx.failed and ctx.condition(cond)
        if not run_it:
            ctx.steps[sid] = {"outputs": {}, "outcome": "skipped"}
            steps_report.append({"id": sid, "name": step.get("name", ""), "outcome": "skipped"})
            continue
        if "uses" in step:
            uses = str(step["uses"])
            if not uses.startswith("actions/cache@"):
                raise SystemExit(f"step {sid}: only run steps and actions/cache are supported, not {uses}")
            ctx.env = dict(extra_env)
            given_with = {k: ctx.render(v) for k, v in (step.get("with") or {}).items()}
            for required in ("path", "key"):
                if not given_with.get(required, "").strip():
                    raise SystemExit(f"step {sid}: actions/cache needs a non-empty {required!r}: {given_with}")
            sys.stderr.write(f"--- step {step.get('name', sid)}: {uses} emulated as a cache miss "
                             f"(key {given_with['key']!r}; nothing restored, nothing saved)\n")
            ctx.steps[sid] = {"outputs": {"cache-hit": "false"}, "outcome": "success"}
            steps_report.append({"id": sid, "name": step.get("name", ""), "outcome": "success", "uses": uses,
                                 "with": given_with})
            continue
        if "run" not in step:
            raise SystemExit(f"step {sid}: only run steps are supported")
        if step.get("shell") != "bash":
            raise SystemExit(f"step {sid}: `shell` is required (and only bash is emulated)")
        output_file = os.path.join(temp, f"output_{n}")
        open(output_file, "w").close()
        for f in (env_file, path_file):
            open(f, "w").close()
        env = dict(base_env)
        env.update(extra_env)
        if extra_path:
            env["PATH"] = os.pathsep.join(list(reversed(extra_path)) + [env.get("PATH", "")])
        ctx.env = dict(extra_env)
        for k, v in (step.get("env") or {}).items():
            env[k] = ctx.render(v)
        env.update({"GITHUB_OUTPUT": output_file, "GITHUB_ENV": env_file, "GITHUB_PATH": path_file,
                    "GITHUB_STEP_SUMMARY": summary_path})
        cwd = os.path.join(workspace, ctx.render(step.get("working-directory", ".")))
        script = os.path.join(temp, f"step_{n}.sh")
        with open(script, "w") as fh:
            fh.write(step["run"])
        p = subprocess.run(["bash", "--noprofile", "--norc", "-eo", "pipefail", script], cwd=cwd, env=env,
                           capture_output=True, text=True)
        sys.stderr.write(f"--- step {step.get('name', sid)} (exit {p.returncode})\n{p.stdout}{p.stderr}")
        for line in p.stdout.splitlines():
            ann = parse_command(line)
            if ann:
                annotations.append(ann)
        outputs = parse_file_commands(output_file)
        extra_env.update(parse_file_commands(env_file))
        extra_path.extend(l for l in open(path_file).read().splitlines() if l.strip())
        outcome = "success" if p.returncode == 0 else "failure"
        if p.returncode != 0:
            ctx.failed = True
        ctx.steps[sid] = {"outputs": outputs, "outcome": outcome}
        steps_report.append({"id": sid, "name": step.get("name", ""), "outcome": outcome, "rc": p.returncode})

    outputs = {name: ctx.render((spec or {}).get("value", "")) for name, spec in (action.get("outputs") or {}).items()}
    report = {
        "rc": 1 if ctx.failed else 0,
        "steps": steps_report,
        "outputs": outputs,
        "annotations": annotations,
        "summary": open(summary_path).read(),
    }
    json.dump(report, sys.stdout, indent=1)
    sys.stdout.write("\n")
    sys.exit(report["rc"])


if __name__ == "__main__":
    main()
