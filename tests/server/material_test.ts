import assert from "node:assert/strict";
import { generateDevPki } from "../../lib/shared/dev_certs.ts";
import { loadClientConfig } from "../../lib/client/config.ts";
import { ConfigError } from "../../lib/cli/config_error.ts";
import { loadServerConfig } from "../../lib/server/config.ts";
import { type DevPaths, resolveServerMaterial } from "../../lib/server/material.ts";

const SECRET = "production-secret-0123456789abcdefghij";

/** A temporary project: dev material in `dev/`, "real" material in `real/`. */
async function workspace() {
  const dir = await Deno.makeTempDir();
  await Deno.mkdir(`${dir}/dev`);
  await Deno.mkdir(`${dir}/real`);
  const devPaths: DevPaths = { certsDir: `${dir}/dev`, secretFile: `${dir}/dev/jwt-secret` };
  const dev = await generateDevPki();
  await Deno.writeTextFile(`${dir}/dev/server.pem`, dev.serverCert);
  await Deno.writeTextFile(`${dir}/dev/server.key.pem`, dev.serverKey);
  await Deno.writeTextFile(devPaths.secretFile, "dev-secret-0123456789abcdefghijklmnop");
  const real = await generateDevPki({ caCommonName: "Example Corp Issuing CA" });
  await Deno.writeTextFile(`${dir}/real/server.pem`, real.serverCert);
  await Deno.writeTextFile(`${dir}/real/server.key.pem`, real.serverKey);
  return {
    dir,
    devPaths,
    dev,
    real,
    [Symbol.asyncDispose]: () => Deno.remove(dir, { recursive: true }),
  };
}

function production(certFile: string, keyFile: string, env: Record<string, string> = {}) {
  return loadServerConfig(["--tls-cert", certFile, "--tls-key", keyFile], {
    GREETER_ENV: "production",
    GREETER_JWT_SECRET: SECRET,
    ...env,
  });
}

Deno.test("server material in production accepts real certificates and an explicit secret", async () => {
  await using ws = await workspace();
  const material = await resolveServerMaterial(
    production(`${ws.dir}/real/server.pem`, `${ws.dir}/real/server.key.pem`),
    { devPaths: ws.devPaths },
  );
  assert.equal(material.tls?.cert.trim(), ws.real.serverCert.trim());
  assert.deepEqual(material.auth?.secret, new TextEncoder().encode(SECRET));
});

const REFUSALS: [string, (dir: string) => Promise<[string, string]>, RegExp][] = [
  [
    "a copy of the development certificate and key stored elsewhere",
    async (dir) => {
      await Deno.copyFile(`${dir}/dev/server.pem`, `${dir}/copy.pem`);
      await Deno.copyFile(`${dir}/dev/server.key.pem`, `${dir}/copy.key.pem`);
      return [`${dir}/copy.pem`, `${dir}/copy.key.pem`];
    },
    /issued by a development CA/,
  ],
  [
    "a real certificate with the development key",
    (dir) => Promise.resolve([`${dir}/real/server.pem`, `${dir}/dev/server.key.pem`]),
    /private key does not belong to the TLS certificate/,
  ],
  [
    "a certificate whose key belongs to another certificate",
    (dir) => Promise.resolve([`${dir}/dev/server.pem`, `${dir}/real/server.key.pem`]),
    /does not belong/,
  ],
  [
    "a key file that is not a key",
    (dir) => Promise.resolve([`${dir}/real/server.pem`, `${dir}/real/server.pem`]),
    /private key cannot be parsed/,
  ],
];

for (const [what, paths, message] of REFUSALS) {
  Deno.test(`server material in production refuses ${what}`, async () => {
    await using ws = await workspace();
    const [cert, key] = await paths(ws.dir);
    await assert.rejects(
      resolveServerMaterial(production(cert, key), { devPaths: ws.devPaths }),
      (error: Error) => error instanceof ConfigError && message.test(error.message),
    );
  });
}

Deno.test("server material refuses a mismatched pair in development too", async () => {
  await using ws = await workspace();
  const config = loadServerConfig(
    ["--tls-cert", `${ws.dir}/real/server.pem`, "--tls-key", `${ws.dir}/dev/server.key.pem`],
    {},
  );
  await assert.rejects(
    resolveServerMaterial(config, { devPaths: ws.devPaths }),
    /GREETER_TLS_CERT \/ GREETER_TLS_KEY: the TLS private key does not belong/,
  );
});

Deno.test("server material in production refuses an expired certificate", async () => {
  await using ws = await workspace();
  const old = await generateDevPki({
    caCommonName: "Example Corp Issuing CA",
    now: () => new Date("2020-01-01T00:00:00Z"),
    validDays: 30,
  });
  await Deno.writeTextFile(`${ws.dir}/old.pem`, old.serverCert);
  await Deno.writeTextFile(`${ws.dir}/old.key.pem`, old.serverKey);
  await assert.rejects(
    resolveServerMaterial(production(`${ws.dir}/old.pem`, `${ws.dir}/old.key.pem`), {
      devPaths: ws.devPaths,
    }),
    /the TLS certificate expired on 2020-01-31/,
  );
});

Deno.test("server material in production refuses the development secret, wherever it comes from", async () => {
  await using ws = await workspace();
  const devSecret = await Deno.readTextFile(ws.devPaths.secretFile);
  await Deno.writeTextFile(`${ws.dir}/copied-secret`, devSecret + "\n");
  const sources: Record<string, string>[] = [
    { GREETER_JWT_SECRET: devSecret },
    { GREETER_JWT_SECRET: "", GREETER_JWT_SECRET_FILE: `${ws.dir}/copied-secret` },
  ];
  for (const env of sources) {
    await assert.rejects(
      resolveServerMaterial(
        production(`${ws.dir}/real/server.pem`, `${ws.dir}/real/server.key.pem`, env),
        { devPaths: ws.devPaths },
      ),
      /the JWT secret is the development secret/,
    );
  }
});

Deno.test("server material takes a secret file's bytes as the key, less one line break", async () => {
  await using ws = await workspace();
  const key = new Uint8Array(40).map((_, i) => (i * 37 + 0x80) % 256);
  key[0] = 0x20; // a leading space is part of the key
  await Deno.writeFile(`${ws.dir}/binary-secret`, new Uint8Array([...key, 0x0d, 0x0a]));
  const config = loadServerConfig(["--jwt-secret-file", `${ws.dir}/binary-secret`], {});
  const material = await resolveServerMaterial(config, { devPaths: ws.devPaths });
  assert.deepEqual(material.auth?.secret, key);
});

Deno.test("server and client read the development secret file to the same bytes", async () => {
  await using ws = await workspace();
  await Deno.writeTextFile(ws.devPaths.secretFile, " dev-secret-with-a-leading-space-0123456789\n");
  const material = await resolveServerMaterial(loadServerConfig([], {}), {
    devPaths: { ...ws.devPaths, certsDir: `${ws.dir}/dev-certs` },
  });
  const client = loadClientConfig(["basic"], {}, {
    devCertsDir: `${ws.dir}/dev-certs`,
    devSecretFile: ws.devPaths.secretFile,
  });
  assert.deepEqual(
    material.auth?.secret,
    new TextEncoder().encode(" dev-secret-with-a-leading-space-0123456789"),
  );
  assert.deepEqual(client.secret, material.auth?.secret);
});
