"""The few Kubernetes API calls the platform makes, through the `kubernetes` client.

One `KubeApi` per namespace. Every call is bounded (`REQUEST_TIMEOUT_S`) and every API
error becomes `KubeError`, one sentence naming the call, the object and the server's
reason; "not found" is an answer (None or nothing to delete), not an error.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from simulator.faults.errors import FaultError
from simulator.kubernetes.cluster import Cluster
from simulator.kubernetes.labels import CHAOS_GROUP, CHAOS_VERSION

if TYPE_CHECKING:
    from kubernetes import client as k8s

REQUEST_TIMEOUT_S = 10.0


def _errors() -> tuple[type[Exception], ...]:
    """What a call can raise: the API's answer, or no answer at all. The `kubernetes`
    client is imported only here and in `KubeApi` (its models cost seconds to load), so
    listing platforms, or validating a scenario on every platform, does not load it."""
    from kubernetes.client.exceptions import ApiException
    from urllib3.exceptions import HTTPError

    return ApiException, HTTPError, OSError


class KubeError(FaultError):
    """An API call failed; the message says which and why."""


def _api_client(cluster: Cluster) -> k8s.ApiClient:
    from kubernetes import client as k8s
    from kubernetes import config as k8s_config

    if cluster.api_url:
        configuration = k8s.Configuration()
        configuration.host = cluster.api_url
        configuration.retries = 1  # a bounded loop above us retries; the pool need not
        return k8s.ApiClient(configuration)
    try:
        made: k8s.ApiClient = k8s_config.new_client_from_config(  # type: ignore[no-untyped-call]
            config_file=cluster.kubeconfig, context=cluster.context
        )
        return made
    except (k8s_config.ConfigException, OSError) as exc:
        where = cluster.kubeconfig or "~/.kube/config"
        raise KubeError(
            f"cannot read the kubeconfig {where}"
            + (f" (context {cluster.context})" if cluster.context else "")
            + f": {exc}; pass --kubeconfig FILE and --context NAME"
        ) from None


def _reason(exc: Exception) -> str:
    status = getattr(exc, "status", None)
    if status is not None:  # an ApiException: the server answered
        return f"{status} {getattr(exc, 'reason', '') or ''}".strip()
    return type(exc).__name__


class KubeApi:
    """The calls on one namespace, each bounded and with one-sentence errors."""

    def __init__(self, cluster: Cluster) -> None:
        from kubernetes import client as k8s

        self.cluster = cluster
        self.namespace = cluster.namespace
        self._client = _api_client(cluster)
        self.custom = k8s.CustomObjectsApi(self._client)
        self.apps = k8s.AppsV1Api(self._client)
        self.core = k8s.CoreV1Api(self._client)
        self.rbac = k8s.RbacAuthorizationV1Api(self._client)
        self.batch = k8s.BatchV1Api(self._client)

    def close(self) -> None:
        self._client.close()  # type: ignore[no-untyped-call]

    def _error(self, what: str, exc: Exception) -> KubeError:
        if getattr(exc, "status", None) is not None:
            return KubeError(
                f"the Kubernetes API refused to {what} in namespace {self.namespace}: "
                f"{_reason(exc)}"
            )
        return KubeError(
            f"the Kubernetes API did not answer when asked to {what} ({_reason(exc)}); "
            "is the cluster reachable?"
        )

    def _call(self, what: str, fn: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, _request_timeout=REQUEST_TIMEOUT_S, **kwargs)
        except _errors() as exc:
            raise self._error(what, exc) from None

    def _or_none(self, what: str, fn: Any, *args: Any, **kwargs: Any) -> Any:
        """The call's answer, or None when the object is not there (404)."""
        try:
            return fn(*args, _request_timeout=REQUEST_TIMEOUT_S, **kwargs)
        except _errors() as exc:
            if getattr(exc, "status", None) == 404:
                return None
            raise self._error(what, exc) from None

    # -- Chaos Mesh resources -----------------------------------------------------------
    def create_chaos(self, plural: str, body: dict[str, Any]) -> dict[str, Any]:
        name = body["metadata"]["name"]
        return dict(
            self._call(
                f"create {plural}/{name}",
                self.custom.create_namespaced_custom_object,
                CHAOS_GROUP,
                CHAOS_VERSION,
                self.namespace,
                plural,
                body,
            )
        )

    def get_chaos(self, plural: str, name: str) -> dict[str, Any] | None:
        found = self._or_none(
            f"read {plural}/{name}",
            self.custom.get_namespaced_custom_object,
            CHAOS_GROUP,
            CHAOS_VERSION,
            self.namespace,
            plural,
            name,
        )
        return None if found is None else dict(found)

    def delete_chaos(self, plural: str, name: str) -> bool:
        """Ask for the resource's deletion; False when it was already gone."""
        done = self._or_none(
            f"delete {plural}/{name}",
            self.custom.delete_namespaced_custom_object,
            CHAOS_GROUP,
            CHAOS_VERSION,
            self.namespace,
            plural,
            name,
        )
        return done is not None

    def list_chaos(self, plural: str, selector: str) -> list[dict[str, Any]]:
        found = self._call(
            f"list {plural} ({selector})",
            self.custom.list_namespaced_custom_object,
            CHAOS_GROUP,
            CHAOS_VERSION,
            self.namespace,
            plural,
            label_selector=selector,
        )
        return [dict(item) for item in found.get("items", [])]

    def patch_chaos(self, plural: str, name: str, body: dict[str, Any]) -> None:
        self._call(
            f"patch {plural}/{name}",
            self.custom.patch_namespaced_custom_object,
            CHAOS_GROUP,
            CHAOS_VERSION,
            self.namespace,
            plural,
            name,
            body,
        )

    # -- Deployments, ReplicaSets, Services, pods ----------------------------------------
    def deployment(self, name: str) -> Any:
        return self._call(
            f"read deployment/{name}", self.apps.read_namespaced_deployment, name, self.namespace
        )

    def deployment_or_none(self, name: str) -> Any:
        return self._or_none(
            f"read deployment/{name}", self.apps.read_namespaced_deployment, name, self.namespace
        )

    def stateful_set(self, name: str) -> Any:
        return self._call(
            f"read statefulset/{name}",
            self.apps.read_namespaced_stateful_set,
            name,
            self.namespace,
        )

    def labels_of(self, group: str, resource: str, selector: str) -> list[dict[str, str]]:
        """The labels of every `resource` that matches the selector."""
        api = getattr(self, group)
        found = self._call(
            f"list {resource} ({selector})",
            getattr(api, f"list_namespaced_{resource}"),
            self.namespace,
            label_selector=selector,
        )
        return [dict(item.metadata.labels or {}) for item in found.items]

    def delete_labelled(self, group: str, resource: str, selector: str) -> list[str]:
        """Delete every `resource` (the typed client's name: deployment, stateful_set...)
        that matches the label selector; what was deleted, as kind/name."""
        api = getattr(self, group)
        found = self._call(
            f"list {resource} ({selector})",
            getattr(api, f"list_namespaced_{resource}"),
            self.namespace,
            label_selector=selector,
        )
        deleted = []
        for item in found.items:
            name = item.metadata.name
            delete = getattr(api, f"delete_namespaced_{resource}")
            # Background: a Job's pods go too (the API's default for Jobs orphans them).
            found_one = self._or_none(
                f"delete {resource}/{name}",
                delete,
                name,
                self.namespace,
                propagation_policy="Background",
            )
            if found_one:
                deleted.append(f"{resource}/{name}")
        return deleted

    def patch_deployment(self, name: str, body: dict[str, Any] | list[dict[str, Any]]) -> Any:
        """A strategic merge patch (a dict), or a JSON patch (a list of operations)."""
        return self._call(
            f"patch deployment/{name}",
            self.apps.patch_namespaced_deployment,
            name,
            self.namespace,
            body,
        )

    def replicasets(self, selector: str) -> list[Any]:
        found = self._call(
            f"list replicasets ({selector})",
            self.apps.list_namespaced_replica_set,
            self.namespace,
            label_selector=selector,
        )
        return list(found.items)

    def create_job(self, body: dict[str, Any]) -> None:
        name = body["metadata"]["name"]
        self._call(f"create job/{name}", self.batch.create_namespaced_job, self.namespace, body)

    def job(self, name: str) -> Any:
        return self._or_none(
            f"read job/{name}", self.batch.read_namespaced_job, name, self.namespace
        )

    def delete_job(self, name: str) -> bool:
        """Delete the Job and, before it is gone, its pods (foreground)."""
        done = self._or_none(
            f"delete job/{name}",
            self.batch.delete_namespaced_job,
            name,
            self.namespace,
            propagation_policy="Foreground",
        )
        return done is not None

    def patch_service(self, name: str, body: dict[str, Any]) -> None:
        self._call(
            f"patch service/{name}", self.core.patch_namespaced_service, name, self.namespace, body
        )

    def config_map(self, name: str) -> Any:
        return self._call(
            f"read configmap/{name}", self.core.read_namespaced_config_map, name, self.namespace
        )

    def patch_config_map(self, name: str, body: dict[str, Any]) -> None:
        self._call(
            f"patch configmap/{name}",
            self.core.patch_namespaced_config_map,
            name,
            self.namespace,
            body,
        )

    def patch_job(self, name: str, body: dict[str, Any]) -> None:
        self._call(f"patch job/{name}", self.batch.patch_namespaced_job, name, self.namespace, body)

    def pods(self, selector: str) -> list[Any]:
        found = self._call(
            f"list pods ({selector})",
            self.core.list_namespaced_pod,
            self.namespace,
            label_selector=selector,
        )
        return list(found.items)

    def events(self, involved: str) -> list[Any]:
        """The events about one object (a pod, the Deployment), by its name."""
        found = self._call(
            f"list events of {involved}",
            self.core.list_namespaced_event,
            self.namespace,
            field_selector=f"involvedObject.name={involved}",
        )
        return list(found.items)

    def pod_log(self, name: str, lines: int) -> list[str]:
        """The pod's last `lines` log lines. Read raw: the client would parse a log that
        happens to be one JSON object (the shop logs JSON lines) into a dict."""
        response = self._call(
            f"read the log of pod/{name}",
            self.core.read_namespaced_pod_log,
            name,
            self.namespace,
            tail_lines=lines,
            _preload_content=False,
        )
        return [line for line in response.data.decode(errors="replace").splitlines() if line]

    def delete_pod(self, name: str) -> None:
        self._or_none(f"delete pod/{name}", self.core.delete_namespaced_pod, name, self.namespace)
