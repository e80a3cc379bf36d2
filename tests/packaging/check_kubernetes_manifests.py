"""The Kubernetes example parses as YAML and holds what README.md's "Running on Kubernetes" says:
a fabric DaemonSet and a single-replica master StatefulSet, both on the host's network, the
secret from a Secret mounted privately, the cluster file from a ConfigMap, a headless Service,
and the status page and /metrics served, scraped by Prometheus and probed."""
import sys

import yaml


def fail(message):
    print("kubernetes manifests: " + message, file=sys.stderr)
    sys.exit(1)


documents = [d for d in yaml.safe_load_all(open(sys.argv[1])) if d]
by_kind = {}
for d in documents:
    for key in ("apiVersion", "kind", "metadata"):
        if key not in d:
            fail(f"a document lacks {key}: {d}")
    by_kind.setdefault(d["kind"], []).append(d)

for kind in ("Namespace", "ConfigMap", "DaemonSet", "StatefulSet", "Service"):
    if len(by_kind.get(kind, [])) != 1:
        fail(f"expected one {kind}, found {len(by_kind.get(kind, []))}")

nodes = by_kind["ConfigMap"][0]["data"].get("nodes.toml", "")
if "[[nodes]]" not in nodes or "bridge_bind" not in nodes:
    fail("the ConfigMap's nodes.toml has no [[nodes]] entry with the master's bridge_bind")


def pod_spec(workload):
    spec = workload["spec"]
    labels = spec["template"]["metadata"]["labels"]
    if spec["selector"]["matchLabels"] != labels:
        fail(f"{workload['kind']} selects {spec['selector']['matchLabels']}, its pods carry {labels}")
    return spec["template"]["spec"]


def check_daemon(workload, expect_nodes_file):
    pod = pod_spec(workload)
    if pod.get("hostNetwork") is not True:
        fail(f"{workload['kind']} must use the host's network")
    (container,) = pod["containers"]
    command = container["command"] + container["args"]
    if command[0] != "constellation-fabric":
        fail(f"{workload['kind']} runs {command[0]}")
    secret_path = command[command.index("--secret-file") + 1]
    volumes = {v["name"]: v for v in pod["volumes"]}
    mounts = {m["mountPath"]: m["name"] for m in container["volumeMounts"]}
    secret_mount = [p for p in mounts if secret_path.startswith(p + "/")]
    if not secret_mount:
        fail(f"{workload['kind']}: --secret-file {secret_path} is not in a mounted volume")
    secret_volume = volumes[mounts[secret_mount[0]]]
    if secret_volume.get("secret", {}).get("defaultMode") != 0o400:
        fail(f"{workload['kind']}: the secret must come from a Secret with defaultMode 0400")
    # The status page and /metrics: served (--http), declared, scraped and probed at one port.
    if "--http" not in command:
        fail(f"{workload['kind']} serves no --http")
    http_port = int(command[command.index("--http") + 1].rsplit(":", 1)[1])
    if http_port not in [p["containerPort"] for p in container.get("ports", [])]:
        fail(f"{workload['kind']}: --http's port {http_port} is not among the container's ports")
    annotations = workload["spec"]["template"]["metadata"].get("annotations", {})
    if annotations.get("prometheus.io/scrape") != "true" or annotations.get("prometheus.io/port") != str(http_port):
        fail(f"{workload['kind']}: the pods must ask Prometheus to scrape port {http_port}")
    probe = container.get("livenessProbe", {}).get("httpGet", {})
    if probe.get("port") != http_port or probe.get("path") != "/metrics":
        fail(f"{workload['kind']}: the liveness probe must GET /metrics on port {http_port}")
    if expect_nodes_file:
        nodes_path = command[-1]
        nodes_mount = [p for p in mounts if nodes_path.startswith(p + "/")]
        if not nodes_mount or "configMap" not in volumes[mounts[nodes_mount[0]]]:
            fail(f"{workload['kind']}: the cluster file {nodes_path} must come from the ConfigMap")
    return pod


check_daemon(by_kind["DaemonSet"][0], expect_nodes_file=False)
master = by_kind["StatefulSet"][0]
if master["spec"].get("replicas") != 1:
    fail("the master's StatefulSet must have exactly one replica")
check_daemon(master, expect_nodes_file=True)
service = by_kind["Service"][0]
if service["spec"].get("clusterIP") != "None":
    fail("the master's Service must be headless (clusterIP: None)")
if service["spec"]["selector"] != master["spec"]["selector"]["matchLabels"]:
    fail("the Service must select the master's pod")
print(f"kubernetes manifests: {len(documents)} documents check out")
