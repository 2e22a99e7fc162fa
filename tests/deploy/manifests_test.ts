/**
 * The Kubernetes manifests and the systemd unit in deploy/ agree with the
 * server: probes on the admin endpoint's paths and port, a grace period that
 * outlasts the preStop pause plus the drain, limits set, and a stop timeout
 * longer than the drain.
 */
import assert from "node:assert/strict";
import { parseAllDocuments } from "yaml";
import { SERVER_SETTINGS } from "../../lib/server/config.ts";

const DEPLOY = new URL("../../deploy/", import.meta.url);

// deno-lint-ignore no-explicit-any
async function manifests(file: string): Promise<any[]> {
  const text = await Deno.readTextFile(new URL(`kubernetes/${file}`, DEPLOY));
  return parseAllDocuments(text).map((document) => document.toJS());
}

Deno.test("Kubernetes deployment probes /readyz and /healthz on the admin port it configures", async () => {
  const [deployment] = await manifests("deployment.yaml");
  const container = deployment.spec.template.spec.containers[0];
  const env = Object.fromEntries(
    container.env.map((e: { name: string; value: string }) => [e.name, e.value]),
  );
  const adminPort = container.ports.find((p: { name: string }) => p.name === "admin");
  assert.equal(String(adminPort.containerPort), env.GREETER_ADMIN_PORT);
  assert.equal(env.GREETER_ADMIN_HOST, "0.0.0.0", "kubelet probes come from outside the pod");
  assert.deepEqual(container.readinessProbe.httpGet, { path: "/readyz", port: "admin" });
  assert.deepEqual(container.livenessProbe.httpGet, { path: "/healthz", port: "admin" });
  for (const name of Object.keys(env).filter((n) => n.startsWith("GREETER_"))) {
    assert.ok(
      Object.values(SERVER_SETTINGS).some((s) => "env" in s && s.env === name),
      `${name} is a server setting`,
    );
  }
});

Deno.test("Kubernetes deployment gives the shutdown delay and the drain time before SIGKILL, with limits", async () => {
  const [deployment] = await manifests("deployment.yaml");
  const pod = deployment.spec.template.spec;
  const container = pod.containers[0];
  const envMs = (name: string) =>
    Number(container.env.find((e: { name: string }) => e.name === name).value);
  const delayMs = envMs("GREETER_SHUTDOWN_DELAY_MS");
  const drainMs = envMs("GREETER_DRAIN_TIMEOUT_MS");
  // The readiness probe must notice the 503 well within the delay.
  const probe = container.readinessProbe;
  assert.ok(probe.periodSeconds * probe.failureThreshold * 1000 < delayMs);
  const preStopMs = (container.lifecycle?.preStop?.sleep?.seconds ?? 0) * 1000;
  assert.ok(pod.terminationGracePeriodSeconds * 1000 > preStopMs + delayMs + drainMs);
  assert.ok(container.resources.limits.memory && container.resources.limits.cpu);
  assert.equal(deployment.spec.strategy.rollingUpdate.maxUnavailable, 0);
});

Deno.test("Kubernetes service selects the deployment's pods on the gRPC port", async () => {
  const [deployment] = await manifests("deployment.yaml");
  const services = await manifests("service.yaml");
  assert.equal(services.length, 2);
  for (const service of services) {
    assert.deepEqual(service.spec.selector, deployment.spec.selector.matchLabels);
    assert.equal(service.spec.ports[0].targetPort, "grpc");
  }
});

Deno.test("systemd unit stops with SIGTERM and waits longer than the default drain", async () => {
  const unit = await Deno.readTextFile(new URL("systemd/greeter@.service", DEPLOY));
  const value = (key: string) => new RegExp(`^${key}=(.*)$`, "m").exec(unit)?.[1];
  assert.equal(value("KillSignal"), "SIGTERM");
  const stopSeconds = Number(value("TimeoutStopSec")?.replace(/s$/, ""));
  assert.ok(
    stopSeconds * 1000 >
      SERVER_SETTINGS.shutdownDelayMs.default + SERVER_SETTINGS.drainTimeoutMs.default,
  );
  assert.equal(value("EnvironmentFile"), "/etc/greeter/%i.env");
});
