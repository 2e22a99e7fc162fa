/**
 * The proxies of `deploy/` as they ship, run on a loopback port in front of
 * given backends (addresses and certificate paths replaced): the Debian nginx
 * with `deploy/nginx/greeter.conf` (inside a minimal `nginx.conf` of its
 * own) and the Debian HAProxy with `deploy/haproxy/greeter.cfg`. For the
 * deployment tests and `scripts/connection_flood.ts`; the packages' own
 * services are never started.
 *
 * @module
 */
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));

/** The first of `candidates` that is a file. */
function findBinary(candidates: (string | undefined)[]): string | undefined {
  for (const candidate of candidates) {
    if (candidate === undefined) continue;
    try {
      if (Deno.statSync(candidate).isFile) return candidate;
    } catch { /* not there */ }
  }
  return undefined;
}

/**
 * The nginx binary: `GREETER_NGINX`, else the Debian path, else undefined.
 *
 * @example
 * ```ts
 * const nginx = findNginx() ?? "not installed";
 * ```
 */
export function findNginx(): string | undefined {
  return findBinary([Deno.env.get("GREETER_NGINX"), "/usr/sbin/nginx"]);
}

/**
 * The HAProxy binary: `GREETER_HAPROXY`, else the Debian path, else undefined.
 *
 * @example
 * ```ts
 * const haproxy = findHaproxy() ?? "not installed";
 * ```
 */
export function findHaproxy(): string | undefined {
  return findBinary([Deno.env.get("GREETER_HAPROXY"), "/usr/sbin/haproxy"]);
}

/** Where {@linkcode nginxConfig} and {@linkcode haproxyConfig} put things. */
export interface ProxyConfigOptions {
  /** Directory for the pid file, logs, temp paths and the TLS files below. */
  dir: string;
  /** Port nginx listens on (127.0.0.1). */
  port: number;
  /** The two upstream servers (`host:port`); the same one twice is fine. */
  backends: readonly [string, string];
  /** Proxy certificate, key and the CA of the backends' certificate, as files in `dir`. */
  files?: { cert: string; key: string; ca: string };
}

/**
 * `deploy/nginx/greeter.conf` with the given addresses and files, inside a
 * minimal `nginx.conf`. Fails when the shipped file no longer has a line it
 * replaces, so the tests keep running the real file.
 *
 * @param options addresses and files
 * @returns the whole configuration text
 * @throws {Error} when greeter.conf lacks a line this replaces
 *
 * @example
 * ```ts
 * const text = await nginxConfig({ dir, port: 8443, backends: ["127.0.0.1:50051", "127.0.0.1:50051"] });
 * ```
 */
export async function nginxConfig(options: ProxyConfigOptions): Promise<string> {
  const { dir, port, backends } = options;
  const files = options.files ?? { cert: "server.pem", key: "server.key.pem", ca: "ca.pem" };
  let site = await Deno.readTextFile(`${ROOT}deploy/nginx/greeter.conf`);
  const replace = (from: string, to: string) => {
    if (!site.includes(from)) {
      throw new Error(`deploy/nginx/greeter.conf no longer contains ${from}`);
    }
    site = site.replaceAll(from, to);
  };
  replace("server 127.0.0.1:50051 ", `server ${backends[0]} `);
  replace("server 127.0.0.1:50061 ", `server ${backends[1]} `);
  replace("listen 443 ssl http2;", `listen 127.0.0.1:${port} ssl http2;`);
  replace("/etc/greeter/tls/proxy-cert.pem", `${dir}/${files.cert}`);
  replace("/etc/greeter/tls/proxy-key.pem", `${dir}/${files.key}`);
  replace("/etc/greeter/tls/ca.pem", `${dir}/${files.ca}`);
  return [
    "daemon off;",
    "master_process on;",
    "worker_processes 1;",
    `pid ${dir}/nginx.pid;`,
    `error_log ${dir}/error.log info;`,
    "events { worker_connections 1024; }",
    "http {",
    "  access_log off;",
    ...["client_body", "proxy", "fastcgi", "uwsgi", "scgi"].map((kind) =>
      `  ${kind}_temp_path ${dir}/${kind};`
    ),
    site,
    "}",
  ].join("\n");
}

/** A running proxy from {@linkcode startNginx} or {@linkcode startHaproxy}. */
export interface RunningProxy {
  /** The port it listens on (127.0.0.1). */
  readonly port: number;
  /** Its error log so far (nginx's error log; HAProxy's standard error). */
  errorLog(): Promise<string>;
  /** Stops it (SIGTERM) and waits for it to exit. */
  stop(): Promise<void>;
  /** Same as {@linkcode stop}. */
  [Symbol.asyncDispose](): Promise<void>;
}

/** A port that was free a moment ago (nginx needs a number in its configuration). */
function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const { port } = listener.addr;
  listener.close();
  return port;
}

/** Runs `command` and resolves once `port` accepts connections (within 5 s). */
async function startProxy(
  name: string,
  command: Deno.Command,
  port: number,
  log: () => Promise<string>,
): Promise<RunningProxy> {
  const proxy = command.spawn();
  let stderr = "";
  const reading = new Response(proxy.stderr).text().then((text) => (stderr = text));
  let stopped: Promise<void> | undefined;
  const running: RunningProxy = {
    port,
    errorLog: async () => (await log()) + stderr,
    stop() {
      stopped ??= (async () => {
        try {
          proxy.kill("SIGTERM");
        } catch { /* already exited */ }
        await proxy.status;
        await reading;
      })();
      return stopped;
    },
    [Symbol.asyncDispose]() {
      return this.stop();
    },
  };
  for (let i = 0; i < 200; i++) {
    try {
      (await Deno.connect({ hostname: "127.0.0.1", port })).close();
      return running;
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  }
  await running.stop();
  throw new Error(`${name} did not listen on ${port}: ${await running.errorLog()}`);
}

/**
 * Writes {@linkcode nginxConfig} to `dir/nginx.conf`, starts nginx on a free
 * port and resolves once it accepts connections (within 5 s).
 *
 * @param nginx the nginx binary ({@linkcode findNginx})
 * @param options everything but the port
 * @returns the running proxy
 * @throws {Error} when nginx does not start listening
 *
 * @example
 * ```ts
 * await using proxy = await startNginx(findNginx()!, { dir, backends: [address, address] });
 * ```
 */
export async function startNginx(
  nginx: string,
  options: Omit<ProxyConfigOptions, "port">,
): Promise<RunningProxy> {
  const { dir } = options;
  const port = freePort();
  await Deno.writeTextFile(`${dir}/nginx.conf`, await nginxConfig({ ...options, port }));
  // nginx's workers run as an unprivileged user when started as root.
  await Deno.chmod(dir, 0o755);
  const command = new Deno.Command(nginx, {
    args: ["-c", `${dir}/nginx.conf`, "-p", dir, "-e", `${dir}/error.log`],
    stdin: "null",
    stdout: "null",
    stderr: "piped",
  });
  return await startProxy(
    "nginx",
    command,
    port,
    () => Deno.readTextFile(`${dir}/error.log`).catch(() => ""),
  );
}

/**
 * `deploy/haproxy/greeter.cfg` with the given addresses and files (the
 * proxy's certificate and key in one PEM, `dir/proxy.pem`, which this
 * writes from `cert` and `key`). Fails when the shipped file no longer has
 * a line it replaces.
 *
 * @param options addresses and files
 * @returns the configuration text
 * @throws {Error} when greeter.cfg lacks a line this replaces
 *
 * @example
 * ```ts
 * const text = await haproxyConfig({ dir, port: 8443, backends: ["127.0.0.1:50051", "127.0.0.1:50051"] });
 * ```
 */
export async function haproxyConfig(options: ProxyConfigOptions): Promise<string> {
  const { dir, port, backends } = options;
  const files = options.files ?? { cert: "server.pem", key: "server.key.pem", ca: "ca.pem" };
  await Deno.writeTextFile(
    `${dir}/proxy.pem`,
    (await Deno.readTextFile(`${dir}/${files.cert}`)) +
      (await Deno.readTextFile(`${dir}/${files.key}`)),
  );
  let config = await Deno.readTextFile(`${ROOT}deploy/haproxy/greeter.cfg`);
  const replace = (from: string, to: string) => {
    if (!config.includes(from)) {
      throw new Error(`deploy/haproxy/greeter.cfg no longer contains ${from}`);
    }
    config = config.replaceAll(from, to);
  };
  replace(" 127.0.0.1:50051 ", ` ${backends[0]} `);
  replace(" 127.0.0.1:50061 ", ` ${backends[1]} `);
  replace("bind :443 ", `bind 127.0.0.1:${port} `);
  replace("/etc/greeter/tls/proxy.pem", `${dir}/proxy.pem`);
  replace("/etc/greeter/tls/ca.pem", `${dir}/${files.ca}`);
  return config;
}

/**
 * Writes {@linkcode haproxyConfig} to `dir/haproxy.cfg`, starts HAProxy in
 * the foreground on a free port and resolves once it accepts connections
 * (within 5 s).
 *
 * @param haproxy the HAProxy binary ({@linkcode findHaproxy})
 * @param options everything but the port
 * @returns the running proxy
 * @throws {Error} when HAProxy does not start listening
 *
 * @example
 * ```ts
 * await using proxy = await startHaproxy(findHaproxy()!, { dir, backends: [address, address] });
 * ```
 */
export async function startHaproxy(
  haproxy: string,
  options: Omit<ProxyConfigOptions, "port">,
): Promise<RunningProxy> {
  const { dir } = options;
  const port = freePort();
  await Deno.writeTextFile(`${dir}/haproxy.cfg`, await haproxyConfig({ ...options, port }));
  const command = new Deno.Command(haproxy, {
    args: ["-db", "-f", `${dir}/haproxy.cfg`],
    stdin: "null",
    stdout: "null",
    stderr: "piped",
  });
  return await startProxy("haproxy", command, port, () => Promise.resolve(""));
}
