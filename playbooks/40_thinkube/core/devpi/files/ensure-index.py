"""Ensure a devpi index exists with the wanted bases and volatility.

Run by the devpi-index-init Job (and by helix's test harness against a local devpi-server).
Reads everything from the environment; the root password never appears in an argument.
Exits non-zero on anything it cannot explain: no failure is treated as "already exists".
"""
import json
import os
import sys
import time
import urllib.error
import urllib.request

URL = os.environ["DEVPI_URL"].rstrip("/")
INDEX = os.environ["DEVPI_INDEX"]  # user/name
BASES = [b for b in os.environ.get("DEVPI_BASES", "root/pypi").split(",") if b]
VOLATILE = os.environ.get("DEVPI_VOLATILE", "false").lower() == "true"
WAIT = int(os.environ.get("DEVPI_WAIT_SECONDS", "600"))
PASSWORD = os.environ["DEVPI_ROOT_PASSWORD"]


def call(method, path, body=None, token=None):
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(URL + path, data=data, method=method)
    req.add_header("Accept", "application/json")
    if data is not None:
        req.add_header("Content-Type", "application/json")
    if token:
        req.add_header("X-Devpi-Auth", token)
    try:
        with urllib.request.urlopen(req, timeout=30) as res:
            return res.status, json.loads(res.read() or b"{}")
    except urllib.error.HTTPError as e:
        try:
            payload = json.loads(e.read() or b"{}")
        except ValueError:
            payload = {}
        return e.code, payload


def wait_for_server():
    deadline = time.time() + WAIT
    while True:
        try:
            status, _ = call("GET", "/+api")
            if status == 200:
                return
        except OSError:
            pass
        if time.time() > deadline:
            sys.exit(f"devpi-server at {URL} did not answer within {WAIT} s")
        time.sleep(2)


def main():
    wait_for_server()
    status, res = call("POST", "/+login", {"user": "root", "password": PASSWORD})
    if status != 200:
        sys.exit(f"login as root failed ({status}): {res.get('message', '')}")
    import base64
    token = base64.b64encode(("root:" + res["result"]["password"]).encode()).decode()
    status, res = call("GET", "/" + INDEX)
    if status == 404:
        status, res = call("PUT", "/" + INDEX, {"type": "stage", "bases": BASES, "volatile": VOLATILE}, token)
        if status not in (200, 201):
            sys.exit(f"creating {INDEX} failed ({status}): {res.get('message', '')}")
        print(f"created {INDEX} bases={','.join(BASES)} volatile={VOLATILE}")
        return
    if status != 200:
        sys.exit(f"reading {INDEX} failed ({status}): {res.get('message', '')}")
    live = res["result"]
    if list(live.get("bases", [])) == BASES and bool(live.get("volatile")) == VOLATILE:
        print(f"{INDEX} already matches")
        return
    want = dict(live, bases=BASES, volatile=VOLATILE)
    want.pop("projects", None)
    status, res = call("PATCH", "/" + INDEX, want, token)
    if status != 200:
        sys.exit(f"updating {INDEX} failed ({status}): {res.get('message', '')}")
    print(f"updated {INDEX}: bases={','.join(BASES)} volatile={VOLATILE}")


if __name__ == "__main__":
    main()
