"""How to reach the cluster, as the environment's record keeps it (no client needed)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Cluster:
    """How to reach the cluster: a kubeconfig (and context), or an API URL that needs no
    credentials (`kubectl proxy` on 127.0.0.1, or a test's fake API)."""

    namespace: str
    kubeconfig: str | None = None
    context: str | None = None
    api_url: str | None = None

    def as_record(self) -> dict[str, str]:
        fields = {
            "namespace": self.namespace,
            "kubeconfig": self.kubeconfig,
            "context": self.context,
            "api_url": self.api_url,
        }
        return {k: v for k, v in fields.items() if v}

    @classmethod
    def from_record(cls, record: dict[str, str]) -> Cluster:
        return cls(
            namespace=record["namespace"],
            kubeconfig=record.get("kubeconfig"),
            context=record.get("context"),
            api_url=record.get("api_url"),
        )
