"""The docker backend: the drill environment as a compose project, faults and
remediations on its containers through the Docker SDK.

Modules: `client` (the SDK, imported lazily, and the one-sentence errors),
`rootfs` + `images` (the images tests build locally, since no registry is
reachable), `compose` (running `docker compose` / `docker-compose`), `env`
(up/down/status of a docker environment), `backend` (DockerBackend: the fault
backend's operations on containers, beside the local one), `netns` (iptables inside a
container's network namespace), `kinds` (container faults and the docker forms
of the contract's kinds), `remediation` (the docker forms of the actions).
"""
