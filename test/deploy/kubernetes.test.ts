import assert from "node:assert/strict";
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { before, describe, test } from "node:test";
import { loadConfig } from "../../src/config/loadConfig.js";
import { ROOT, run, transcript } from "../sdk/support.js";

// deploy/kubernetes: valid for the Kubernetes API (kubernetes-validate, with
// the API's own JSON schemas, strict: no unknown fields), and consistent with
// itself and with easytask: selectors that meet, probes on easytask's health
// paths, a configuration easytask accepts.

const DIR = join(ROOT, "deploy", "kubernetes");
const files = readdirSync(DIR)
  .filter((f) => f.endsWith(".yaml"))
  .map((f) => join(DIR, f));

interface Resource {
  kind: string;
  metadata: { name: string; labels?: Record<string, string> };
  [field: string]: any;
}

describe("the Kubernetes manifests", () => {
  let resources: Resource[] = [];
  const one = (kind: string): Resource => {
    const found = resources.filter((r) => r.kind === kind);
    assert.equal(found.length, 1, `one ${kind}`);
    return found[0]!;
  };

  before(async () => {
    const python = join(ROOT, ".tools", "venv", "bin", "python");
    const ran = await run(python, ["-c", "import json, sys, yaml; print(json.dumps([d for f in sys.argv[1:] for d in yaml.safe_load_all(open(f)) if d]))", ...files]);
    assert.equal(ran.code, 0, transcript("reading the YAML", ran));
    resources = JSON.parse(ran.stdout) as Resource[];
  });

  // The oldest and the newest version whose schemas the package ships.
  for (const version of ["1.25.0", "1.37.0"]) {
    test(`are valid for the Kubernetes ${version} API`, async () => {
      const ran = await run(join(ROOT, ".tools", "bin", "kubernetes-validate"), ["--strict", "--kubernetes-version", version, ...files]);
      assert.equal(ran.code, 0, transcript("kubernetes-validate", ran));
      assert.equal(ran.stdout.match(/ passed for resource /g)?.length, resources.length, ran.stdout);
    });
  }

  test("run several replicas with easytask's probes, behind a Service, under a PodDisruptionBudget", () => {
    const deployment = one("Deployment");
    const pod = deployment.spec.template;
    const [container] = pod.spec.containers;
    assert.ok(deployment.spec.replicas >= 3, "an HA cluster");
    const port = container.ports.find((p: { name: string }) => p.name === "api");
    assert.equal(port.containerPort, 8801);
    assert.deepEqual(container.readinessProbe.httpGet, { path: "/readyz", port: "api" });
    assert.deepEqual(container.livenessProbe.httpGet, { path: "/healthz", port: "api" });
    assert.ok(pod.spec.terminationGracePeriodSeconds > 10, "longer than the 10 s drain");

    const matches = (selector: Record<string, string>) => Object.entries(selector).every(([k, v]) => pod.metadata.labels[k] === v);
    assert.ok(matches(deployment.spec.selector.matchLabels));
    assert.ok(matches(one("Service").spec.selector));
    assert.equal(one("Service").spec.ports[0].targetPort, "api");
    const budget = one("PodDisruptionBudget");
    assert.ok(matches(budget.spec.selector.matchLabels));
    assert.ok(budget.spec.maxUnavailable < deployment.spec.replicas);
  });

  test("give easytask a configuration it accepts: MySQL and the tokens from the Secret, etcd from the ConfigMap", () => {
    const [container] = one("Deployment").spec.template.spec.containers;
    const secret = one("Secret");
    const configMap = one("ConfigMap");
    assert.deepEqual(container.envFrom, [{ secretRef: { name: secret.metadata.name } }]);
    const mount = container.volumeMounts.find((m: { name: string }) => m.name === "config");
    const volume = one("Deployment").spec.template.spec.volumes.find((v: { name: string }) => v.name === "config");
    assert.equal(volume.configMap.name, configMap.metadata.name);
    assert.deepEqual(container.args, ["-c", `${mount.mountPath}/conf.json`]);

    // The node's view: the mounted conf.json, the Secret's keys in its environment.
    const dir = mkdtempSync(join(tmpdir(), "easytask-k8s-"));
    const confPath = join(dir, "conf.json");
    writeFileSync(confPath, configMap.data["conf.json"]);
    const config = loadConfig({ configPath: confPath, env: { ...secret.stringData } });
    rmSync(dir, { recursive: true });
    assert.equal(config.electDriver, "etcd");
    assert.ok(config.etcd.endpoints.length >= 3);
    assert.equal(config.store.kind, "mysql");
    assert.equal(config.auth.tokens.length, 1);
  });
});
