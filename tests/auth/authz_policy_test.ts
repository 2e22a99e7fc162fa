/** Tests for `lib/auth/authz_policy.ts`: parsing, precedence, decisions, identities. */
import assert from "node:assert/strict";
import {
  authorize,
  decide,
  identityOf,
  namesMethod,
  parseAuthzPolicy,
  PolicyError,
  requirementFor,
} from "../../lib/auth/authz_policy.ts";

const KNOWN = [
  "helloworld.Greeter/SayHello",
  "helloworld.Greeter/SayHelloStream",
  "grpc.health.v1.Health/Check",
];

const YAML = `
rolesClaim: realm_access.roles
rules:
  helloworld.Greeter: { scopes: [greet] }
  helloworld.Greeter/SayHelloStream:
    scopes: [greet, stream]
    roles: [member]
`;

const JSON_POLICY = JSON.stringify({
  rolesClaim: "realm_access.roles",
  rules: {
    "helloworld.Greeter": { scopes: ["greet"] },
    "helloworld.Greeter/SayHelloStream": { scopes: "greet stream", roles: ["member"] },
  },
});

Deno.test("the same policy reads from YAML and JSON and decides per method", async (t) => {
  for (const [format, text] of [["YAML", YAML], ["JSON", JSON_POLICY]]) {
    const policy = parseAuthzPolicy(text, { knownMethods: KNOWN });
    const cases: [string, string, Record<string, unknown>, string | null][] = [
      ["a unary call with the service scope", "/helloworld.Greeter/SayHello", {
        scope: "greet",
      }, null],
      ["a unary call without scopes", "/helloworld.Greeter/SayHello", {}, 'missing scope "greet"'],
      ["a stream call with only the service scope", "/helloworld.Greeter/SayHelloStream", {
        scope: "greet",
      }, 'missing scope "stream"'],
      ["a stream call with both scopes but no role", "/helloworld.Greeter/SayHelloStream", {
        scp: ["greet", "stream"],
      }, 'missing role "member"'],
      ["a stream call with scopes and role", "/helloworld.Greeter/SayHelloStream", {
        scope: "greet",
        scp: "stream",
        realm_access: { roles: ["member"] },
      }, null],
      ["a health check (not named)", "/grpc.health.v1.Health/Check", {}, null],
    ];
    for (const [name, path, claims, refusal] of cases) {
      await t.step(`${format}: ${name} is ${refusal === null ? "allowed" : "refused"}`, () => {
        const identity = identityOf({ sub: "s", ...claims }, policy.rolesClaim);
        const decision = authorize(policy, path, identity);
        if (refusal === null) assert.deepEqual(decision, { allowed: true });
        else assert.deepEqual(decision, { allowed: false, message: refusal });
        // The auth stage looks the rule up once per method, then decides per call.
        assert.deepEqual(decide(requirementFor(policy, path), identity), decision);
      });
    }
  }
});

Deno.test("a '*' rule covers unnamed methods, and naming a public service protects it", () => {
  const policy = parseAuthzPolicy(
    '{"rules": {"*": {"scopes": ["any"]}, "grpc.health.v1.Health": {}}}',
    { knownMethods: KNOWN },
  );
  const nobody = identityOf({ sub: "s" });
  assert.deepEqual(authorize(policy, "/helloworld.Greeter/SayHello", nobody), {
    allowed: false,
    message: 'missing scope "any"',
  });
  assert.equal(namesMethod(policy, "/grpc.health.v1.Health/Check"), true);
  assert.equal(namesMethod(policy, "/helloworld.Greeter/SayHello"), false);
  assert.deepEqual(authorize(policy, "/grpc.health.v1.Health/Check", nobody), { allowed: true });
});

Deno.test("policy mistakes are refused with a message naming them", async (t) => {
  const cases: [string, string, RegExp][] = [
    ["a document that is not an object", "[]", /must be an object with "rules"/],
    ["an unknown top-level field", '{"rules": {}, "deny": true}', /unknown field "deny"/],
    [
      "a method this server lacks",
      '{"rules": {"helloworld.Greeter/SayBye": {}}}',
      /names no method/,
    ],
    ["a service this server lacks", '{"rules": {"helloworld.Greter": {}}}', /names no service/],
    ["a malformed rule key", '{"rules": {"/helloworld.Greeter": {}}}', /must be "package.Service"/],
    ["an unknown rule field", '{"rules": {"*": {"scope": ["a"]}}}', /unknown field "scope"/],
    ["scopes that are not strings", '{"rules": {"*": {"scopes": [1]}}}', /"scopes" must be a list/],
    ["a scope with a quote", '{"rules": {"*": {"scopes": ["a\\"b"]}}}', /"scopes" must be a list/],
    ["a bad rolesClaim", '{"rolesClaim": "a..b", "rules": {}}', /"rolesClaim" must be/],
    ["broken YAML", "rules: [", /neither JSON nor YAML/],
    ["duplicate keys", "rules:\n  '*': {}\n  '*': {}\n", /neither JSON nor YAML/],
  ];
  for (const [name, text, error] of cases) {
    await t.step(`${name} is refused`, () => {
      assert.throws(() => parseAuthzPolicy(text, { knownMethods: KNOWN }), (e: unknown) => {
        assert.ok(e instanceof PolicyError);
        assert.match(e.message, error);
        return true;
      });
    });
  }
});

Deno.test("identities read scope, scp and the roles claim, ignoring wrong types", async (t) => {
  const cases: [string, Record<string, unknown>, string, string[], string[]][] = [
    ["space-separated scope", { scope: "a b  a" }, "roles", ["a", "b"], []],
    ["scp as an array", { scp: ["a", 7, "c"] }, "roles", ["a", "c"], []],
    ["roles at a dotted path", { realm: { roles: ["admin"] } }, "realm.roles", [], ["admin"]],
    ["roles as a string", { roles: "admin member" }, "roles", [], ["admin", "member"]],
    ["roles of a wrong type", { roles: { admin: true } }, "roles", [], []],
  ];
  for (const [name, claims, rolesClaim, scopes, roles] of cases) {
    await t.step(`${name} gives scopes [${scopes}] and roles [${roles}]`, () => {
      const identity = identityOf({ sub: "s", ...claims }, rolesClaim);
      assert.deepEqual(identity, { subject: "s", scopes, roles });
    });
  }
});
