#!/usr/bin/env python3
"""Inputs a hostile or careless pull request can bring, for the figures in
docs/performance.md ("Hostile sizes"). Writes to standard output:

  hostile.py fixes N     N Deployments in one file, each with one safe fix
                         (a numeric label value): `lint --fix` cost per fix
  hostile.py minified N  one line of JSON: a List of N Deployments
  hostile.py copies N    N renamed copies of testdata/examples/shop.yaml in
                         one file (103000 copies make 200 MB)

Then, e.g.: /usr/bin/time -f "%e s %M KB" target/release/kubectl-strategy lint --fix f.yaml
"""
import json
import os
import sys


def fixes(n):
    for i in range(n):
        if i:
            sys.stdout.write("---\n")
        sys.stdout.write(
            f"apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web-{i}\n  labels:\n"
            f"    app: web-{i}\n    tier: 1\nspec:\n  replicas: 2\n  selector:\n"
            f"    matchLabels: {{app: web-{i}}}\n  template:\n    metadata:\n"
            f"      labels: {{app: web-{i}}}\n    spec:\n      containers:\n"
            f"        - name: web\n          image: nginx:1.27\n"
        )


def minified(n):
    items = [
        {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": {"name": f"app-{i}"},
            "spec": {
                "replicas": 2,
                "selector": {"matchLabels": {"app": f"app-{i}"}},
                "template": {
                    "metadata": {"labels": {"app": f"app-{i}"}},
                    "spec": {"containers": [{"name": "c", "image": "nginx:latest"}]},
                },
            },
        }
        for i in range(n)
    ]
    print(json.dumps({"apiVersion": "v1", "kind": "List", "items": items}, separators=(",", ":")))


def copies(n):
    here = os.path.dirname(os.path.abspath(__file__))
    with open(os.path.join(here, "..", "testdata", "examples", "shop.yaml")) as f:
        tpl = f.read()
    for i in range(n):
        sys.stdout.write(tpl.replace("name: ", f"name: n{i}-").replace("app: ", f"app: a{i}-"))
        sys.stdout.write("\n---\n")


if __name__ == "__main__":
    if len(sys.argv) != 3 or sys.argv[1] not in ("fixes", "minified", "copies"):
        sys.exit(__doc__)
    {"fixes": fixes, "minified": minified, "copies": copies}[sys.argv[1]](int(sys.argv[2]))
