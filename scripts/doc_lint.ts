/**
 * `deno doc --lint` over the library entries, plus a check that every
 * exported function has an `@example`, failing on every diagnostic but two
 * kinds that are not ours to fix:
 *
 * - `private-type-ref` to a type of a dependency (grpc-js, jose, logtape). Deno
 *   skips these for packages it loads by URL (denoland/deno#27364), but with
 *   `nodeModulesDir` the npm packages are local files and still count; they
 *   are public in their own packages.
 * - diagnostics inside `lib/shared/generated/` (generated from the `.proto`,
 *   which documents every message and field).
 *
 * Usage: `deno run -A scripts/doc_lint.ts mod.ts [more entries]`
 *
 * @module
 */
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("../", import.meta.url));

/** Types of dependencies that appear in the library's API. */
const DEPENDENCY_TYPES = new Set([
  // @grpc/grpc-js
  "CallOptions",
  "ChannelOptions",
  "Client",
  "ClientDuplexStream",
  "ClientReadableStream",
  "ClientUnaryCall",
  "ClientWritableStream",
  "Metadata",
  "ServerCredentials",
  "ServerInterceptingCallInterface",
  "ServerInterceptor",
  "ServerMethodDefinition",
  "StatusObject",
  "UnaryCallback",
  // jose
  "JWK",
  "JWSHeaderParameters",
  // the platform's Web Crypto (resolved through @types/node)
  "CryptoKey",
  // @logtape/logtape
  "Logger",
  "LogLevel",
  "Sink",
]);

const entries = Deno.args.length > 0 ? Deno.args : ["mod.ts"];
const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
  args: ["doc", "--lint", ...entries],
  cwd: root,
  env: { NO_COLOR: "1" },
  stdout: "piped",
  stderr: "piped",
}).output();
const output = new TextDecoder().decode(stderr) + new TextDecoder().decode(stdout);

// Each diagnostic starts with `error[rule]: …` and runs to the next blank-line-separated one.
const diagnostics = output.split(/\n(?=error\[)/).filter((block) => block.startsWith("error["));
const kept = diagnostics.filter((block) => {
  const dependencyRef = /^error\[private-type-ref\].*references private type '([^']+)'/.exec(block);
  if (dependencyRef !== null && DEPENDENCY_TYPES.has(dependencyRef[1])) return false;
  return !/-->\s+\S*lib\/shared\/generated\//.test(block);
});

// Every exported function shows how it is called.
const docs = await new Deno.Command(Deno.execPath(), {
  args: ["doc", "--json", ...entries],
  cwd: root,
  stdout: "piped",
  stderr: "null",
}).output();
interface DocSymbol {
  name: string;
  declarations: { kind: string; jsDoc?: { tags?: { kind: string }[] } }[];
}
const json = JSON.parse(new TextDecoder().decode(docs.stdout)) as {
  nodes: Record<string, { symbols: DocSymbol[] }>;
};
for (const [entry, { symbols }] of Object.entries(json.nodes)) {
  for (const symbol of symbols) {
    for (const declaration of symbol.declarations) {
      const tags = declaration.jsDoc?.tags ?? [];
      if (declaration.kind === "function" && !tags.some((tag) => tag.kind === "example")) {
        kept.push(
          `error[missing-example]: exported function ${symbol.name} has no @example\n  --> ${entry}`,
        );
      }
    }
  }
}

if (kept.length > 0) {
  console.error(kept.join("\n"));
  console.error(`doc lint: ${kept.length} problem(s) in ${entries.join(", ")}`);
  Deno.exit(1);
}
if (code !== 0 && diagnostics.length === 0) {
  // deno doc failed for another reason (an entry that does not resolve, say).
  console.error(output);
  Deno.exit(code);
}
console.log(
  `doc lint: ${
    entries.join(", ")
  } clean (${diagnostics.length} dependency or generated-type notes ignored)`,
);
