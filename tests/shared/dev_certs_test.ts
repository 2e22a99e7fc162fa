import "reflect-metadata";
import * as x509 from "@peculiar/x509";
import assert from "node:assert/strict";
import { once } from "node:events";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import tls from "node:tls";
import {
  DEV_CERT_FILES,
  type DevPki,
  type DevPkiOptions,
  ensureDevCertificates,
  generateDevPki,
} from "../../lib/shared/dev_certs.ts";

// Whole seconds: certificate times are encoded to the second.
const FIXED_NOW = new Date("2030-01-02T03:04:05Z");
const MINUTE_MS = 60_000;
const DAY_MS = 86_400_000;

// Generated once, for the read-only checks and the handshakes. The real clock, not FIXED_NOW: TLS
// peers reject a certificate that is not valid yet.
const pki = await generateDevPki();
const otherPki = await generateDevPki();

function parse(pem: string): x509.X509Certificate {
  return new x509.X509Certificate(pem);
}

function sanNames(cert: x509.X509Certificate): string[] {
  const san = cert.getExtension(x509.SubjectAlternativeNameExtension);
  assert.ok(san, "server certificate has no subjectAltName extension");
  return san.names.items.map((name) => `${name.type}:${name.value}`);
}

/** True if `keyPem` is the private key of `certPem`: signs with one and verifies with the other. */
async function keyMatchesCert(keyPem: string, certPem: string): Promise<boolean> {
  const algorithm = { name: "ECDSA", namedCurve: "P-256", hash: "SHA-256" };
  const privateKey = await crypto.subtle.importKey(
    "pkcs8",
    x509.PemConverter.decodeFirst(keyPem),
    algorithm,
    false,
    ["sign"],
  );
  const publicKey = await parse(certPem).publicKey.export(algorithm, ["verify"], crypto);
  const data = new TextEncoder().encode("greeter");
  const signature = await crypto.subtle.sign(algorithm, privateKey, data);
  return await crypto.subtle.verify(algorithm, publicKey, signature, data);
}

Deno.test("the CA certificate is a self-signed critical CA:true with keyCertSign and cRLSign only", async () => {
  const ca = parse(pki.caCert);
  assert.equal(ca.subject, ca.issuer);
  assert.ok(await ca.verify({ publicKey: ca.publicKey, signatureOnly: true }, crypto));
  const constraints = ca.getExtension(x509.BasicConstraintsExtension);
  assert.equal(constraints?.ca, true);
  assert.equal(constraints?.critical, true);
  const usage = ca.getExtension(x509.KeyUsagesExtension);
  assert.equal(usage?.usages, x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign);
  assert.equal(usage?.critical, true);
  assert.equal(ca.publicKey.algorithm.name, "ECDSA");
});

Deno.test("leaf certificates are signed by the CA, CA:false, with the right extended key usage", async () => {
  const ca = parse(pki.caCert);
  const cases = [
    { name: "server", pem: pki.serverCert, cn: "greeter-dev-server", eku: "1.3.6.1.5.5.7.3.1" },
    { name: "client", pem: pki.clientCert, cn: "greeter-dev-client", eku: "1.3.6.1.5.5.7.3.2" },
  ];
  for (const { name, pem, cn, eku } of cases) {
    const cert = parse(pem);
    assert.equal(cert.subject, `CN=${cn}`, name);
    assert.equal(cert.issuer, ca.subject, name);
    assert.ok(await cert.verify({ publicKey: ca.publicKey, signatureOnly: true }, crypto), name);
    assert.equal(cert.getExtension(x509.BasicConstraintsExtension)?.ca, false, name);
    assert.equal(
      cert.getExtension(x509.KeyUsagesExtension)?.usages,
      x509.KeyUsageFlags.digitalSignature,
      name,
    );
    assert.deepEqual(
      [...cert.getExtension(x509.ExtendedKeyUsageExtension)?.usages ?? []],
      [eku],
      name,
    );
  }
  assert.equal(parse(pki.clientCert).getExtension(x509.SubjectAlternativeNameExtension), null);
});

Deno.test("the server certificate has a subjectAltName entry for each host, by kind", async (t) => {
  const cases: { name: string; hosts?: string[]; expected: string[] }[] = [
    {
      name: "the default hosts are localhost, 127.0.0.1 and ::1 as an IP entry",
      expected: ["dns:localhost", "ip:127.0.0.1", "ip:::1"],
    },
    {
      name: "a custom host list replaces the defaults, in order",
      hosts: ["greeter.test", "10.1.2.3", "2001:db8::7"],
      expected: ["dns:greeter.test", "ip:10.1.2.3", "ip:2001:db8::7"],
    },
    {
      name: "an IPv4-mapped IPv6 address is encoded as the same 16 bytes",
      hosts: ["::ffff:127.0.0.1"],
      expected: ["ip:::ffff:7f00:1"],
    },
  ];
  for (const { name, hosts, expected } of cases) {
    await t.step(name, async () => {
      const { serverCert } = hosts ? await generateDevPki({ hosts }) : pki;
      assert.deepEqual(sanNames(parse(serverCert)), expected);
    });
  }
});

Deno.test("validity starts a minute before now and lasts validDays", async (t) => {
  const cases: { name: string; options: DevPkiOptions; days: number }[] = [
    { name: "the default is 365 days", options: { now: () => FIXED_NOW }, days: 365 },
    { name: "validDays 7 gives 7 days", options: { now: () => FIXED_NOW, validDays: 7 }, days: 7 },
  ];
  for (const { name, options, days } of cases) {
    await t.step(name, async () => {
      const generated = await generateDevPki(options);
      for (const pem of [generated.caCert, generated.serverCert, generated.clientCert]) {
        const cert = parse(pem);
        assert.equal(cert.notBefore.getTime(), FIXED_NOW.getTime() - MINUTE_MS);
        assert.equal(cert.notAfter.getTime(), FIXED_NOW.getTime() + days * DAY_MS);
      }
    });
  }
});

Deno.test("commonName sets the server certificate subject and nothing else", async () => {
  const generated = await generateDevPki({ commonName: "my-laptop" });
  assert.equal(parse(generated.serverCert).subject, "CN=my-laptop");
  assert.equal(parse(generated.clientCert).subject, "CN=greeter-dev-client");
});

Deno.test("private keys are PKCS#8 PEM belonging to their certificates, and the CA key is absent", async () => {
  for (const [key, cert] of [[pki.serverKey, pki.serverCert], [pki.clientKey, pki.clientCert]]) {
    assert.match(
      key,
      /^-----BEGIN PRIVATE KEY-----\n[A-Za-z0-9+/=\n]+-----END PRIVATE KEY-----\n$/,
    );
    assert.ok(await keyMatchesCert(key, cert));
    assert.equal(await keyMatchesCert(key, pki.caCert), false);
  }
  assert.equal(await keyMatchesCert(pki.serverKey, pki.clientCert), false);
  const everything = Object.values(pki).join("");
  assert.equal(everything.match(/BEGIN PRIVATE KEY/g)?.length, 2);
  assert.deepEqual(Object.keys(pki).sort(), Object.keys(DEV_CERT_FILES).sort());
});

Deno.test("serial numbers are random and positive", () => {
  const serials = [pki, otherPki].flatMap((p) =>
    [p.caCert, p.serverCert, p.clientCert].map((pem) => parse(pem).serialNumber)
  );
  assert.equal(new Set(serials).size, serials.length);
  for (const serial of serials) {
    assert.ok(serial.length >= 30, `serial ${serial} is too short to be random`);
    assert.ok(Number.parseInt(serial.slice(0, 2), 16) < 0x80, `serial ${serial} is negative`);
  }
});

Deno.test("generateDevPki rejects invalid options with a message naming the option", async (t) => {
  const cases: { name: string; options: DevPkiOptions; message: RegExp }[] = [
    { name: "an empty host list", options: { hosts: [] }, message: /options\.hosts/ },
    { name: "an empty host name", options: { hosts: [""] }, message: /options\.hosts/ },
    { name: "a bracketed IPv6 host", options: { hosts: ["[::1]"] }, message: /options\.hosts/ },
    {
      name: "an IPv6 host with a zone id",
      options: { hosts: ["fe80::1%eth0"] },
      message: /options\.hosts.*fe80::1%eth0/,
    },
    { name: "zero validDays", options: { validDays: 0 }, message: /options\.validDays/ },
    { name: "fractional validDays", options: { validDays: 1.5 }, message: /options\.validDays/ },
    { name: "a blank commonName", options: { commonName: " " }, message: /options\.commonName/ },
    {
      name: "a clock returning an invalid date",
      options: { now: () => new Date(Number.NaN) },
      message: /options\.now/,
    },
  ];
  for (const { name, options, message } of cases) {
    await t.step(`generateDevPki rejects ${name}`, async () => {
      await assert.rejects(generateDevPki(options), (error: Error) => {
        assert.ok(error instanceof TypeError);
        assert.match(error.message, message);
        assert.doesNotMatch(error.message, /\n/);
        return true;
      });
    });
  }
});

interface HandshakeCase {
  name: string;
  /** Address the server listens on. */
  listenHost: string;
  /** The server presents `pki`'s server pair; with `clientCa` it also requires a client cert. */
  server: { pki: DevPki; clientCa?: string };
  /** `trust` is the client's only CA; `identity` is the client certificate it presents, if any. */
  client: {
    host: string;
    servername?: string;
    trust: string;
    identity?: { cert: string; key: string };
  };
  /**
   * `reads`: the handshake succeeds and the client reads this greeting. `errorCode`: the client
   * rejects the server. `serverRefuses`: the server rejects the client, which with TLS 1.3 the
   * client sees either as an alert or as the connection closing before any greeting.
   */
  expected: { reads: string } | { errorCode: RegExp } | { serverRefuses: true };
}

/**
 * Runs one real TLS handshake on loopback, port 0, and reports what the client saw. The server
 * greets every connection it accepts with the peer's CN (or "anonymous"), so a greeting proves
 * both ends accepted the other.
 */
async function handshake(c: HandshakeCase): Promise<{ reads: string } | { errorCode: string }> {
  const { clientCa } = c.server;
  const server = tls.createServer({
    cert: c.server.pki.serverCert,
    key: c.server.pki.serverKey,
    ...(clientCa ? { ca: clientCa, requestCert: true, rejectUnauthorized: true } : {}),
  }, (socket) => {
    const peer = clientCa ? socket.getPeerCertificate().subject?.CN : "anonymous";
    socket.end(`hello ${peer}`);
  });
  // A refused handshake also fails on the server side; some cases expect that.
  server.on("tlsClientError", () => {});
  server.listen(0, c.listenHost);
  await once(server, "listening");
  try {
    const { port } = server.address() as AddressInfo;
    const socket = tls.connect({
      host: c.client.host,
      port,
      servername: c.client.servername,
      ca: c.client.trust,
      ...c.client.identity,
    });
    let reads = "";
    socket.setEncoding("utf8");
    socket.on("data", (chunk: string) => reads += chunk);
    try {
      await new Promise<void>((resolve, reject) => {
        socket.on("error", reject);
        socket.on("end", resolve);
      });
      return { reads };
    } catch (error) {
      return { errorCode: String((error as { code?: string }).code ?? error) };
    } finally {
      socket.destroy();
      if (!socket.closed) await once(socket, "close");
    }
  } finally {
    await new Promise((resolve) => server.close(resolve));
  }
}

Deno.test("TLS peers accept the dev certificates only when they should", async (t) => {
  const client = { cert: pki.clientCert, key: pki.clientKey };
  const cases: HandshakeCase[] = [
    {
      name: "a client trusting the dev CA accepts the server as localhost",
      listenHost: "127.0.0.1",
      server: { pki },
      client: { host: "127.0.0.1", servername: "localhost", trust: pki.caCert },
      expected: { reads: "hello anonymous" },
    },
    {
      name: "a client trusting the dev CA accepts the server by the IP address 127.0.0.1",
      listenHost: "127.0.0.1",
      server: { pki },
      client: { host: "127.0.0.1", trust: pki.caCert },
      expected: { reads: "hello anonymous" },
    },
    {
      name: "a client trusting the dev CA accepts the server by the IPv6 address ::1",
      listenHost: "::1",
      server: { pki },
      client: { host: "::1", trust: pki.caCert },
      expected: { reads: "hello anonymous" },
    },
    {
      name: "a client rejects the server under a name that is not in its subjectAltName",
      listenHost: "127.0.0.1",
      server: { pki },
      client: { host: "127.0.0.1", servername: "example.com", trust: pki.caCert },
      expected: { errorCode: /^ERR_TLS_CERT_ALTNAME_INVALID$/ },
    },
    {
      name: "a client trusting a different dev CA rejects the server",
      listenHost: "127.0.0.1",
      server: { pki },
      client: { host: "127.0.0.1", servername: "localhost", trust: otherPki.caCert },
      expected: { errorCode: /^(UNABLE_TO_VERIFY_LEAF_SIGNATURE|UNABLE_TO_GET_ISSUER_CERT)/ },
    },
    {
      name: "a server requiring mTLS accepts the dev client certificate",
      listenHost: "127.0.0.1",
      server: { pki, clientCa: pki.caCert },
      client: { host: "127.0.0.1", servername: "localhost", trust: pki.caCert, identity: client },
      expected: { reads: "hello greeter-dev-client" },
    },
    {
      name: "a server requiring mTLS refuses a client certificate from a different dev CA",
      listenHost: "127.0.0.1",
      server: { pki, clientCa: pki.caCert },
      client: {
        host: "127.0.0.1",
        servername: "localhost",
        trust: pki.caCert,
        identity: { cert: otherPki.clientCert, key: otherPki.clientKey },
      },
      expected: { serverRefuses: true },
    },
    {
      name: "a server requiring mTLS refuses the server certificate used as a client certificate",
      listenHost: "127.0.0.1",
      server: { pki, clientCa: pki.caCert },
      client: {
        host: "127.0.0.1",
        servername: "localhost",
        trust: pki.caCert,
        identity: { cert: pki.serverCert, key: pki.serverKey },
      },
      expected: { serverRefuses: true },
    },
    {
      name: "a server requiring mTLS refuses a client without a certificate",
      listenHost: "127.0.0.1",
      server: { pki, clientCa: pki.caCert },
      client: { host: "127.0.0.1", servername: "localhost", trust: pki.caCert },
      expected: { serverRefuses: true },
    },
  ];
  for (const c of cases) {
    await t.step(c.name, async () => {
      const got = await handshake(c);
      if ("reads" in c.expected) {
        assert.deepEqual(got, c.expected);
      } else if ("errorCode" in c.expected) {
        assert.ok("errorCode" in got, `expected a rejection, got ${JSON.stringify(got)}`);
        assert.match(got.errorCode, c.expected.errorCode);
      } else {
        assert.ok(
          "errorCode" in got || got.reads === "",
          `expected the server to refuse, got ${JSON.stringify(got)}`,
        );
      }
    });
  }
});

/** Makes a temporary directory, runs `fn` with it, and removes it whatever happens. */
async function withTempDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "greeter_certs_test_" });
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

async function readAll(paths: Record<string, string>): Promise<Record<string, string>> {
  const entries = await Promise.all(
    Object.entries(paths).map(async ([name, path]) => [name, await Deno.readTextFile(path)]),
  );
  return Object.fromEntries(entries);
}

Deno.test("ensureDevCertificates writes five files into an empty directory, keys at mode 0o600", async () => {
  await withTempDir(async (root) => {
    // A directory that does not exist yet: ensureDevCertificates creates it.
    const dir = join(root, "certs");
    const result = await ensureDevCertificates(dir, { now: () => FIXED_NOW });
    assert.equal(result.created, true);
    assert.equal(result.dir, dir);
    assert.deepEqual(
      result.paths,
      Object.fromEntries(Object.entries(DEV_CERT_FILES).map(([k, file]) => [k, join(dir, file)])),
    );
    const names = [];
    for await (const entry of Deno.readDir(dir)) names.push(entry.name);
    assert.deepEqual(names.sort(), Object.values(DEV_CERT_FILES).sort());

    const files = await readAll(result.paths);
    assert.ok(await keyMatchesCert(files.serverKey, files.serverCert));
    assert.ok(await keyMatchesCert(files.clientKey, files.clientCert));
    assert.equal(parse(files.serverCert).notBefore.getTime(), FIXED_NOW.getTime() - MINUTE_MS);
    // Only the two leaf keys are on disk; the CA key never is.
    assert.equal(Object.values(files).join("").match(/BEGIN PRIVATE KEY/g)?.length, 2);

    if (Deno.build.os !== "windows") {
      for (const key of [result.paths.serverKey, result.paths.clientKey]) {
        assert.equal((await Deno.stat(key)).mode! & 0o777, 0o600, key);
      }
    }
  });
});

Deno.test("ensureDevCertificates leaves an existing pair alone on the second call", async () => {
  await withTempDir(async (dir) => {
    const first = await ensureDevCertificates(dir);
    const before = await readAll(first.paths);
    const second = await ensureDevCertificates(dir);
    assert.equal(second.created, false);
    assert.deepEqual(second.paths, first.paths);
    assert.deepEqual(await readAll(second.paths), before);
  });
});

Deno.test("ensureDevCertificates never overwrites a user's files", async (t) => {
  const cases: { name: string; present: (keyof typeof DEV_CERT_FILES)[]; message: RegExp }[] = [
    {
      name: "only server.pem exists: the error names the missing server.key.pem",
      present: ["serverCert"],
      message: /server\.key\.pem is missing/,
    },
    {
      name: "only server.key.pem exists: the error names the missing server.pem",
      present: ["serverKey"],
      message: /server\.pem is missing/,
    },
    {
      name: "the pair is missing but ca.pem exists: the error names ca.pem",
      present: ["caCert"],
      message: /overwrite .*ca\.pem/,
    },
    {
      name: "the pair is missing but client.key.pem exists: the error names client.key.pem",
      present: ["clientKey"],
      message: /overwrite .*client\.key\.pem/,
    },
  ];
  for (const { name, present, message } of cases) {
    await t.step(name, async () => {
      await withTempDir(async (dir) => {
        for (const key of present) {
          await Deno.writeTextFile(join(dir, DEV_CERT_FILES[key]), `user's own ${key}\n`);
        }
        await assert.rejects(ensureDevCertificates(dir), (error: Error) => {
          assert.match(error.message, message);
          assert.doesNotMatch(error.message, /\n/);
          return true;
        });
        const names = [];
        for await (const entry of Deno.readDir(dir)) names.push(entry.name);
        assert.deepEqual(names.sort(), present.map((key) => DEV_CERT_FILES[key]).sort());
        for (const key of present) {
          assert.equal(
            await Deno.readTextFile(join(dir, DEV_CERT_FILES[key])),
            `user's own ${key}\n`,
          );
        }
      });
    });
  }
});
