"""The Kubernetes platform: the shop's manifests in a namespace, faults as Chaos Mesh
resources, remediations by patching Deployments and Services.

Reached only through `simulator.platform.kubernetes` (the registry imports it when
`--backend kubernetes` is asked for), so the `kubernetes` client loads only then.
"""
