/**
 * Regenerates `lib/shared/generated/` from `protos/greeter.proto` with
 * `proto-loader-gen-types` (shipped with `@grpc/proto-loader`), then rewrites
 * its extension-less relative imports so Deno resolves them.
 *
 * `--check` generates into a temporary directory and fails, naming the stale
 * files, when the committed types differ from what the `.proto` yields.
 *
 * @module
 */
import { fileURLToPath } from "node:url";
import { runEntry } from "../lib/cli/config_error.ts";
import { readSettings, type SettingsTable, usageLines } from "../lib/cli/settings.ts";

/** The script's settings (flags only). */
export const GEN_TYPES_SETTINGS = {
  check: {
    flag: "check",
    kind: "switch",
    help: "write nothing; fail, naming the stale files, when the committed types are out of date",
  },
  help: { flag: "help", kind: "switch", help: "this text" },
} as const satisfies SettingsTable;

const root = fileURLToPath(new URL("../", import.meta.url));
const target = `${root}lib/shared/generated`;

async function run(cmd: string, args: string[]): Promise<void> {
  const { code, stderr } = await new Deno.Command(cmd, { args, cwd: root, stdout: "null" })
    .output();
  if (code !== 0) {
    throw new Error(`${cmd} ${args.join(" ")} failed:\n${new TextDecoder().decode(stderr)}`);
  }
}

async function* walk(dir: string): AsyncGenerator<string> {
  for await (const entry of Deno.readDir(dir)) {
    const path = `${dir}/${entry.name}`;
    if (entry.isDirectory) yield* walk(path);
    else if (entry.isFile) yield path;
  }
}

async function generate(outDir: string): Promise<Map<string, string>> {
  await run(Deno.execPath(), [
    "run",
    "-A",
    "npm:@grpc/proto-loader@0.8.1/proto-loader-gen-types",
    "--keepCase",
    "--longs=String",
    "--enums=String",
    "--defaults",
    "--oneofs",
    "--includeComments",
    "--grpcLib=@grpc/grpc-js",
    "-O",
    outDir,
    "protos/greeter.proto",
  ]);
  const files = new Map<string, string>();
  for await (const path of walk(outDir)) {
    const text = (await Deno.readTextFile(path))
      .replace(/from '(\.{1,2}\/[^']+)'/g, "from '$1.ts'")
      .replace(/^\/\/ Original file: .*$/m, "// Generated from protos/greeter.proto; do not edit.");
    files.set(path.slice(outDir.length + 1), text);
  }
  return files;
}

async function main(args: readonly string[]): Promise<number> {
  const { check, help } = readSettings(GEN_TYPES_SETTINGS, args, {}).values;
  if (help) {
    console.log(
      ["Usage: deno task gen:types [flags]", "", ...usageLines(GEN_TYPES_SETTINGS)].join("\n"),
    );
    return 0;
  }
  const tmp = await Deno.makeTempDir({ prefix: "greeter-gen-" });
  try {
    const fresh = await generate(tmp);
    if (check) {
      const stale: string[] = [];
      for (const [name, text] of fresh) {
        const current = await Deno.readTextFile(`${target}/${name}`).catch(() => null);
        if (current !== text) stale.push(name);
      }
      for await (const path of walk(target)) {
        if (!fresh.has(path.slice(target.length + 1))) stale.push(path.slice(target.length + 1));
      }
      if (stale.length > 0) {
        console.error(
          `lib/shared/generated is stale (${stale.join(", ")}): run \`deno task gen:types\``,
        );
        return 1;
      }
      console.log("lib/shared/generated matches protos/greeter.proto");
      return 0;
    }
    await Deno.remove(target, { recursive: true }).catch(() => {});
    for (const [name, text] of fresh) {
      const path = `${target}/${name}`;
      await Deno.mkdir(path.slice(0, path.lastIndexOf("/")), { recursive: true });
      await Deno.writeTextFile(path, text);
    }
    console.log(`wrote ${fresh.size} files to lib/shared/generated`);
    return 0;
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
}

if (import.meta.main) Deno.exit(await runEntry(() => main(Deno.args)));
