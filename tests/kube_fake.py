"""A fake of the few Kubernetes API endpoints chaosdrill uses: an HTTP server on
127.0.0.1 in the test's process (the one allowed mock: no API server can run here).

It stores objects by (group/version, namespace, resource, name) as the real API does,
answers create, read, list by label selector (events also by involved object), delete
and patch, serves pod logs as text (`logs`), and records every request. Chaos Mesh's
controller is played by `chaos_policy`: "inject" reports the conditions Selected and
AllInjected on creation, "never" leaves AllInjected false. A deleted chaos resource
is kept once with AllRecovered true (Chaos Mesh's finalizer) and gone on the next read.
Deployments and StatefulSets roll out at once, and each new pod template makes a
ReplicaSet revision, as the Deployment controller does.
`fail(method, fragment)` makes the next matching request answer 500.
"""

from __future__ import annotations

import copy
import json
import threading
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

Key = tuple[str, str, str]  # (group/version, namespace, resource)


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, str]
    body: Any
    content_type: str = ""


@dataclass
class FakeKube:
    chaos_policy: str = "inject"
    job_policy: str = "run"  # "never": a lock Job's pod never becomes ready
    store: dict[Key, dict[str, dict[str, Any]]] = field(default_factory=dict)
    requests: list[Request] = field(default_factory=list)
    failures: list[list[Any]] = field(default_factory=list)  # [method, fragment, skip]
    lock: threading.Lock = field(default_factory=threading.Lock)
    url: str = ""
    logs: dict[str, str] = field(default_factory=dict)  # pod name -> its log (text)

    # -- what tests read -------------------------------------------------------------
    def objects(self, resource: str) -> dict[str, dict[str, Any]]:
        found: dict[str, dict[str, Any]] = {}
        for (_, _, plural), items in self.store.items():
            if plural == resource:
                found.update(items)
        return found

    def labelled(self, label: str, value: str) -> list[str]:
        return sorted(
            f"{plural}/{name}"
            for (_, _, plural), items in self.store.items()
            for name, obj in items.items()
            if (obj["metadata"].get("labels") or {}).get(label) == value
        )

    def calls(self, method: str, fragment: str = "") -> list[Request]:
        return [r for r in self.requests if r.method == method and fragment in r.path]

    def fail(self, method: str, fragment: str, skip: int = 0) -> None:
        """The matching request after `skip` matching ones answers 500 (once)."""
        self.failures.append([method, fragment, skip])

    # -- the API ---------------------------------------------------------------------
    def handle(
        self, method: str, raw_path: str, body: Any, content_type: str = ""
    ) -> tuple[int, Any]:
        parts = urlsplit(raw_path)
        query = {k: v[0] for k, v in parse_qs(parts.query).items()}
        with self.lock:
            self.requests.append(Request(method, parts.path, query, body, content_type))
            if method == "PATCH" and "strategic" in content_type and "chaos-mesh" in parts.path:
                # as the API server: custom resources take no strategic merge patch
                return 415, _status(415, "UnsupportedMediaType", content_type)
            for failure in self.failures:
                if failure[0] == method and failure[1] in parts.path:
                    if failure[2] > 0:
                        failure[2] -= 1
                        continue
                    self.failures.remove(failure)
                    return 500, _status(500, "InternalError", "injected by the test")
            if parts.path.endswith("/log") and method == "GET":  # text, as the API serves it
                lines = self.logs.get(parts.path.split("/")[-2], "").splitlines()
                tail = int(query.get("tailLines", len(lines)))
                return 200, "".join(f"{line}\n" for line in lines[-tail:])
            key, name = _route(parts.path)
            items = self.store.setdefault(key, {})
            if name is None and method == "GET":
                listed = self._list(key, items, query.get("labelSelector", ""))
                if query.get("fieldSelector", "").startswith("involvedObject.name="):
                    wanted = query["fieldSelector"].split("=", 1)[1]
                    listed["items"] = [
                        i for i in listed["items"] if i["involvedObject"]["name"] == wanted
                    ]
                return 200, listed
            if name is None and method == "POST":
                return self._create(key, items, body)
            if name is None or name not in items:
                return 404, _status(404, "NotFound", f"{key[2]} {name} not found")
            if method == "GET":
                return 200, self._read(items, name)
            if method == "DELETE":
                return 200, self._delete(key, items, name)
            if method == "PATCH":
                return 200, self._patch(key, items, name, body)
        return 405, _status(405, "MethodNotAllowed", method)

    def _list(self, key: Key, items: dict[str, Any], selector: str) -> dict[str, Any]:
        wanted = dict(pair.split("=", 1) for pair in selector.split(",") if pair)
        chosen = [
            copy.deepcopy(obj)
            for obj in items.values()
            if all((obj["metadata"].get("labels") or {}).get(k) == v for k, v in wanted.items())
        ]
        return {"apiVersion": key[0], "kind": "List", "metadata": {}, "items": chosen}

    def _create(self, key: Key, items: dict[str, Any], body: dict[str, Any]) -> tuple[int, Any]:
        obj = copy.deepcopy(body)
        name = obj["metadata"]["name"]
        if name in items:
            return 409, _status(409, "AlreadyExists", f"{key[2]} {name} already exists")
        meta = obj["metadata"]
        meta.update(
            namespace=key[1],
            uid=str(uuid.uuid4()),
            generation=1,
            creationTimestamp=datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        )
        items[name] = obj
        if obj.get("kind") == "Deployment":
            self._roll_out(key, obj)
        elif obj.get("kind") == "StatefulSet":
            replicas = obj["spec"].get("replicas", 1)
            obj["status"] = {"replicas": replicas, "readyReplicas": replicas}
        elif obj.get("kind") == "Job":
            if obj["spec"].get("activeDeadlineSeconds"):  # a lock holder: runs, ready
                ready = 1 if self.job_policy == "run" else 0
                obj["status"] = {
                    "active": 1,
                    "ready": ready,
                    "startTime": meta["creationTimestamp"],
                }
            else:  # a one-shot psql: done
                obj["status"] = {"succeeded": 1, "startTime": meta["creationTimestamp"]}
        elif key[0].startswith("chaos-mesh.org"):
            injected = "True" if self.chaos_policy == "inject" else "False"
            obj["status"] = {
                "conditions": [
                    {"type": "Selected", "status": "True"},
                    {"type": "AllInjected", "status": injected},
                    {"type": "AllRecovered", "status": "False"},
                ]
            }
        return 201, copy.deepcopy(obj)

    def _read(self, items: dict[str, Any], name: str) -> Any:
        obj = items[name]
        if obj["metadata"].get("deletionTimestamp"):
            del items[name]  # the finalizer's work is done: the next read finds nothing
        return copy.deepcopy(obj)

    def _delete(self, key: Key, items: dict[str, Any], name: str) -> Any:
        """The object as it was deleted (what the API answers for most resources)."""
        obj = items[name]
        conditions = (obj.get("status") or {}).get("conditions")
        if key[0].startswith("chaos-mesh.org") and conditions:
            obj["metadata"]["deletionTimestamp"] = datetime.now(UTC).isoformat()
            for condition in conditions:
                if condition["type"] == "AllRecovered":
                    condition["status"] = "True"
        else:
            del items[name]
        return copy.deepcopy(obj)

    def _patch(self, key: Key, items: dict[str, Any], name: str, body: Any) -> Any:
        obj = items[name]
        before = copy.deepcopy(obj.get("spec", {}).get("template"))
        if isinstance(body, list):  # a JSON patch: the replace/add operations used
            for operation in body:
                *parents, last = operation["path"].strip("/").split("/")
                holder = obj
                for part in parents:
                    holder = holder[part]
                holder[last] = copy.deepcopy(operation["value"])
        else:
            _merge(obj, body)
        if obj.get("kind") == "Deployment":
            obj["metadata"]["generation"] += 1
            if obj["spec"].get("template") != before:
                self._roll_out(key, obj)
            replicas = obj["spec"].get("replicas", 1)
            obj["status"].update(
                replicas=replicas, updatedReplicas=replicas, availableReplicas=replicas
            )
            obj["status"]["observedGeneration"] = obj["metadata"]["generation"]
        return copy.deepcopy(obj)

    def _roll_out(self, key: Key, deployment: dict[str, Any]) -> None:
        """A ReplicaSet for the new template (an older one of the same template is
        reused with a new revision, as a rollback does), and the rollout done."""
        sets = self.store.setdefault((key[0], key[1], "replicasets"), {})
        mine = [
            rs
            for rs in sets.values()
            if rs["metadata"]["ownerReferences"][0]["name"] == deployment["metadata"]["name"]
        ]
        revision = 1 + max((int(rs["metadata"]["annotations"][REVISION]) for rs in mine), default=0)
        template = copy.deepcopy(deployment["spec"]["template"])
        same = [rs for rs in mine if _unhashed(rs["spec"]["template"]) == _unhashed(template)]
        if same:
            same[0]["metadata"]["annotations"][REVISION] = str(revision)
        else:
            name = f"{deployment['metadata']['name']}-{revision}"
            template.setdefault("metadata", {}).setdefault("labels", {})["pod-template-hash"] = str(
                revision
            )
            sets[name] = {
                "apiVersion": "apps/v1",
                "kind": "ReplicaSet",
                "metadata": {
                    "name": name,
                    "namespace": key[1],
                    "labels": dict(template["metadata"]["labels"]),
                    "annotations": {REVISION: str(revision)},
                    "ownerReferences": [
                        {
                            "apiVersion": "apps/v1",
                            "kind": "Deployment",
                            "name": deployment["metadata"]["name"],
                            "uid": deployment["metadata"]["uid"],
                        }
                    ],
                },
                "spec": {
                    "replicas": deployment["spec"].get("replicas", 1),
                    "selector": deployment["spec"]["selector"],
                    "template": template,
                },
            }
        replicas = deployment["spec"].get("replicas", 1)
        deployment["status"] = {
            "observedGeneration": deployment["metadata"]["generation"],
            "replicas": replicas,
            "updatedReplicas": replicas,
            "availableReplicas": replicas,
            "readyReplicas": replicas,
        }


REVISION = "deployment.kubernetes.io/revision"


def _unhashed(template: dict[str, Any]) -> dict[str, Any]:
    plain = copy.deepcopy(template)
    plain.get("metadata", {}).get("labels", {}).pop("pod-template-hash", None)
    return plain


def _merge(target: dict[str, Any], patch: dict[str, Any]) -> None:
    """A merge patch, with lists of named items merged by name (strategic merge)."""
    for key, value in patch.items():
        if isinstance(value, dict) and isinstance(target.get(key), dict):
            _merge(target[key], value)
        elif (
            isinstance(value, list)
            and isinstance(target.get(key), list)
            and all(isinstance(v, dict) and "name" in v for v in value + target[key])
        ):
            by_name = {item["name"]: item for item in target[key]}
            for item in value:
                if item["name"] in by_name:
                    _merge(by_name[item["name"]], item)
                else:
                    target[key].append(item)
        else:
            target[key] = copy.deepcopy(value)


def _route(path: str) -> tuple[Key, str | None]:
    parts = path.strip("/").split("/")
    if parts[0] == "api":  # /api/v1/namespaces/NS/RESOURCE[/NAME]
        group_version, rest = parts[1], parts[2:]
    else:  # /apis/GROUP/VERSION/namespaces/NS/RESOURCE[/NAME]
        group_version, rest = f"{parts[1]}/{parts[2]}", parts[3:]
    namespace, resource = rest[1], rest[2]
    return (group_version, namespace, resource), (rest[3] if len(rest) > 3 else None)


def _status(code: int, reason: str, message: str, status: str = "Failure") -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Status",
        "status": status,
        "code": code,
        "reason": reason,
        "message": message,
    }


class _Handler(BaseHTTPRequestHandler):
    fake: FakeKube

    def _answer(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        body = json.loads(raw) if raw else None
        kind = self.headers.get("Content-Type") or ""
        code, answer = self.fake.handle(self.command, self.path, body, kind)
        text = isinstance(answer, str)
        data = answer.encode() if text else json.dumps(answer).encode()
        self.send_response(code)
        self.send_header("Content-Type", "text/plain" if text else "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    do_GET = do_POST = do_DELETE = do_PATCH = _answer

    def log_message(self, format: str, *args: Any) -> None:
        return None  # quiet: the fake records requests itself


class FakeKubeServer:
    """The fake on 127.0.0.1:<free port>, served by a thread until `close()`."""

    def __init__(self, fake: FakeKube) -> None:
        handler = type("Handler", (_Handler,), {"fake": fake})
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        fake.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)


def fast_platform(monkeypatch: Any) -> None:
    """Bounds shortened (the fake answers at once, or never) and no watchdog process:
    tests of the platform's API calls need neither."""
    from simulator.kubernetes import chaos_run, rollout
    from simulator.kubernetes import env as kube_env

    monkeypatch.setattr(chaos_run, "POLL_S", 0.01)
    monkeypatch.setattr(chaos_run, "INJECT_BOUND_S", 0.3)
    monkeypatch.setattr(chaos_run, "RECOVER_BOUND_S", 0.3)
    monkeypatch.setattr(rollout, "POLL_S", 0.01)
    monkeypatch.setattr(rollout, "ROLLOUT_BOUND_S", 0.3)
    monkeypatch.setattr(kube_env, "START_WATCHDOG", False)
