#!/usr/bin/env python3
"""Emulator of the Argo CD repo-server / cmp-server contract for a v2 sidecar plugin.

It re-implements what argocd-cmp-server does with a plugin.yaml (Argo CD master, files
cmpserver/plugin/{plugin,config}.go and reposerver/repository/repository.go; see
shared/docs/integrations.md section 2):

1. validate plugin.yaml (kind ConfigManagementPlugin, metadata.name, spec.generate.command);
2. copy the repository to $TMPDIR/_cmp_server/<uuid>, files 0644 and dirs 0755 unless
   spec.preserveFileMode;
3. discovery against the app path: fileName (Go filepath.Glob), find.glob (** allowed),
   find.command (exit 0 and non-empty stdout); without discover the plugin must be named;
4. environment: the sidecar's own, plus ARGOCD_APP_*, KUBE_VERSION, KUBE_API_VERSIONS,
   ARGOCD_ENV_<NAME> ($VAR expanded against the build variables), ARGOCD_APP_PARAMETERS and
   PARAM_<NAME>[_<i>|_<KEY>]; entries with empty values dropped;
5. init then generate, cwd = the app path;
6. a failure is reported in Argo CD's wording;
7. stdout decoded as a YAML stream or concatenated JSON objects; empty and null documents
   skipped, kind: List not flattened; every object needs apiVersion and kind.

Usage:
  cmp_sim.py PLUGIN_YAML REPO APP_PATH [--app NAME] [--ns NS] [--plugin-name NAME]
             [--env NAME=VALUE]... [--param-json JSON] [--revision SHA]

Prints the manifests as one JSON list on stdout and `[cmp] ...` progress on stderr. Exit 0 on
success, 1 when generation failed, 3 when discovery did not match, 2 on a bad plugin.yaml.
"""
import argparse
import glob
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import uuid

import yaml


def log(msg):
    print(f"[cmp] {msg}", file=sys.stderr)


def load_plugin(path):
    with open(path) as fh:
        cfg = yaml.safe_load(fh)
    problems = []
    if not isinstance(cfg, dict):
        problems.append("not a map")
        cfg = {}
    if cfg.get("kind") != "ConfigManagementPlugin":
        problems.append(f"invalid plugin configuration file. kind should be ConfigManagementPlugin, found {cfg.get('kind')!r}")
    if not (cfg.get("metadata") or {}).get("name"):
        problems.append("invalid plugin configuration file. metadata.name should be non-empty.")
    spec = cfg.get("spec") or {}
    if not ((spec.get("generate") or {}).get("command")):
        problems.append("invalid plugin configuration file. spec.generate command should be non-empty")
    if problems:
        for p in problems:
            print(f"error: {p}", file=sys.stderr)
        sys.exit(2)
    name = cfg["metadata"]["name"]
    if spec.get("version"):
        name = f"{name}-{spec['version']}"
    return name, spec


def copy_repo(repo, preserve_mode):
    root = os.path.join(tempfile.gettempdir(), "_cmp_server", str(uuid.uuid4()))
    shutil.copytree(repo, root, symlinks=True, ignore=shutil.ignore_patterns(".git"))
    if not preserve_mode:
        for d, dirs, files in os.walk(root):
            os.chmod(d, 0o755)
            for f in files:
                p = os.path.join(d, f)
                if not os.path.islink(p):
                    os.chmod(p, 0o644)
    return root


def discover(spec, app_dir, env, named):
    disc = spec.get("discover") or {}
    if disc.get("fileName"):
        return bool(glob.glob(os.path.join(app_dir, disc["fileName"])))
    find = disc.get("find") or {}
    if find.get("glob"):
        # zglob: ** spans directories
        return bool(glob.glob(os.path.join(app_dir, find["glob"]), recursive=True))
    if find.get("command"):
        c = find["command"]
        p = subprocess.run(list(c.get("command") or []) + list(c.get("args") or []), cwd=app_dir, env=env, capture_output=True, text=True)
        return p.returncode == 0 and p.stdout.strip() != ""
    return named


def param_env(params):
    out = {}
    norm = lambda s: re.sub(r"[^A-Z0-9_]", "_", s.upper())
    for p in params:
        name = norm(p.get("name", ""))
        if "string" in p:
            out[f"PARAM_{name}"] = p["string"]
        for i, v in enumerate(p.get("array") or []):
            out[f"PARAM_{name}_{i}"] = v
        for k, v in (p.get("map") or {}).items():
            out[f"PARAM_{name}_{norm(k)}"] = v
    return out


def build_env(a, app_path, rev):
    build = {
        "ARGOCD_APP_NAME": a.app,
        "ARGOCD_APP_NAMESPACE": a.ns,
        "ARGOCD_APP_PROJECT_NAME": "default",
        "ARGOCD_APP_REVISION": rev,
        "ARGOCD_APP_REVISION_SHORT": rev[:7],
        "ARGOCD_APP_REVISION_SHORT_8": rev[:8],
        "ARGOCD_APP_SOURCE_REPO_URL": "https://example.com/org/deploy.git",
        "ARGOCD_APP_SOURCE_PATH": app_path,
        "ARGOCD_APP_SOURCE_TARGET_REVISION": "main",
        "KUBE_VERSION": "1.32.4",
        "KUBE_API_VERSIONS": "v1,apps/v1,batch/v1",
    }
    env = dict(os.environ)
    env.update(build)
    for item in a.env:
        k, _, v = item.partition("=")
        v = re.sub(r"\$\{?(\w+)\}?", lambda m: build.get(m.group(1), ""), v)
        env[f"ARGOCD_ENV_{k}"] = v
    params = json.loads(a.param_json) if a.param_json else []
    if params:
        env["ARGOCD_APP_PARAMETERS"] = json.dumps(params)
        env.update(param_env(params))
    return {k: v for k, v in env.items() if v != ""}


def run_command(cmd, cwd, env, timeout=90):
    argv = list(cmd.get("command") or []) + list(cmd.get("args") or [])
    try:
        p = subprocess.run(argv, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    except FileNotFoundError as e:
        return argv, 127, "", str(e)
    except subprocess.TimeoutExpired:
        return argv, -1, "", f"context deadline exceeded after {timeout}s"
    return argv, p.returncode, p.stdout, p.stderr


def decode(stdout):
    text = stdout.strip()
    objs = []
    if text.startswith("{"):
        dec = json.JSONDecoder()
        i = 0
        while i < len(text):
            obj, j = dec.raw_decode(text, i)
            objs.append(obj)
            i = j
            while i < len(text) and text[i].isspace():
                i += 1
    else:
        objs = [d for d in yaml.safe_load_all(stdout)]
    out = []
    for o in objs:
        if o is None or o == {}:
            continue
        if not isinstance(o, dict) or not o.get("apiVersion") or not o.get("kind"):
            raise ValueError(f"Object 'Kind' is missing in '{json.dumps(o)[:200]}'")
        out.append(o)
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("plugin_yaml")
    ap.add_argument("repo")
    ap.add_argument("app_path")
    ap.add_argument("--app", default="app")
    ap.add_argument("--ns", default="default")
    ap.add_argument("--plugin-name", default="")
    ap.add_argument("--env", action="append", default=[])
    ap.add_argument("--param-json", default="")
    ap.add_argument("--revision", default="f913b6c0d1e2a3b4c5d6e7f8091a2b3c4d5e6f70")
    a = ap.parse_args()

    name, spec = load_plugin(a.plugin_yaml)
    if a.plugin_name and a.plugin_name != name:
        log(f"plugin {a.plugin_name!r} not found (this sidecar serves {name!r})")
        sys.exit(3)
    root = copy_repo(a.repo, spec.get("preserveFileMode", False))
    try:
        app_dir = os.path.join(root, a.app_path)
        env = build_env(a, a.app_path, a.revision)
        if not discover(spec, app_dir, env, bool(a.plugin_name)):
            log("discover: no match")
            sys.exit(3)
        log("discover: match")
        for step in ("init", "generate"):
            cmd = spec.get(step)
            if not cmd:
                continue
            argv, code, out, err = run_command(cmd, app_dir, env)
            if code != 0:
                print(f"rpc error: code = Unknown desc = error generating manifests in cmp: "
                      f"rpc error: code = Unknown desc = error generating manifests: "
                      f"`{' '.join(argv)}` failed exit status {code}: {err}", file=sys.stderr)
                sys.exit(1)
            if step == "generate":
                if err:
                    log(f"generate stderr (logged by the sidecar): {err.strip()}")
                try:
                    manifests = decode(out)
                except (ValueError, yaml.YAMLError) as e:
                    print(f"error generating manifests in cmp: failed to unmarshal manifest: {e}", file=sys.stderr)
                    sys.exit(1)
                log(f"{len(manifests)} manifests")
                json.dump(manifests, sys.stdout)
                sys.stdout.write("\n")
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
