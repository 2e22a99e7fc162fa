/**
 * Per-method authorization: a small policy document maps methods (or whole
 * services) to the scopes and roles a caller needs, and a verified token's
 * claims become a typed {@linkcode Identity} checked against it. No gRPC
 * imports: the server's authorization interceptor applies the decision.
 *
 * A policy, in JSON or YAML:
 *
 * ```yaml
 * rolesClaim: realm_access.roles    # where roles live (dotted path); default "roles"
 * rules:
 *   helloworld.Greeter:                     { scopes: [greet] }
 *   helloworld.Greeter/SayHelloBidirectional: { scopes: [greet, chat], roles: [member] }
 *   "*":                                    { scopes: [greet] }   # every other protected method
 * ```
 *
 * A method rule wins over its service's rule, which wins over `"*"`; a method
 * matched by none needs only a valid token. Every listed scope and role is
 * required. Public services (health, reflection) stay open unless a rule
 * names them, which makes them need a token too.
 *
 * @module
 */
import { parse as parseYaml } from "yaml";

/** What a rule requires. */
export interface Requirement {
  /** Scopes that must all be granted (`scope` / `scp`). */
  readonly scopes: readonly string[];
  /** Roles that must all be held (the roles claim). */
  readonly roles: readonly string[];
}

/** A parsed, validated policy. */
export interface AuthzPolicy {
  /** Claim holding roles; a dotted path reaches into objects. */
  readonly rolesClaim: string;
  /** Rules keyed by `pkg.Service/Method`, `pkg.Service` or `"*"`. */
  readonly rules: ReadonlyMap<string, Requirement>;
}

/** The verified caller, typed: who, with which scopes and roles. */
export interface Identity {
  /** `sub`. */
  readonly subject: string;
  /** Granted scopes, from `scope` (space-separated) and `scp` (array or string). */
  readonly scopes: readonly string[];
  /** Held roles, from the policy's roles claim. */
  readonly roles: readonly string[];
}

/** Default claim holding roles. */
export const DEFAULT_ROLES_CLAIM = "roles";

/** The policy used when none is configured: any valid token may call every method. */
export const OPEN_POLICY: AuthzPolicy = Object.freeze({
  rolesClaim: DEFAULT_ROLES_CLAIM,
  rules: new Map<string, Requirement>(),
});

/** A policy document that cannot be used; the message names the problem. */
export class PolicyError extends Error {
  /**
   * Builds the error.
   * @param message what is wrong, and where
   */
  constructor(message: string) {
    super(message);
    this.name = "PolicyError";
  }
}

const TOKEN = /^[\x21\x23-\x5B\x5D-\x7E]+$/; // RFC 6749 scope-token characters

/**
 * Parses and validates a policy document.
 *
 * @param text the document, JSON or YAML (JSON is YAML)
 * @param options `where` names the source in errors; `knownMethods` (full
 *   names, `pkg.Service/Method`) lets typos in rule keys be refused
 * @returns the policy
 * @throws {PolicyError} naming the first problem
 *
 * @example
 * ```ts
 * const policy = parseAuthzPolicy(await Deno.readTextFile("authz.yaml"), { where: "authz.yaml" });
 * ```
 */
export function parseAuthzPolicy(
  text: string,
  options: { where?: string; knownMethods?: readonly string[] } = {},
): AuthzPolicy {
  const where = options.where ?? "authorization policy";
  let doc: unknown;
  try {
    doc = parseYaml(text, { maxAliasCount: 0, uniqueKeys: true });
  } catch (error) {
    throw new PolicyError(`${where} is neither JSON nor YAML: ${firstLine(error)}`);
  }
  if (!isRecord(doc)) throw new PolicyError(`${where} must be an object with "rules"`);
  for (const key of Object.keys(doc)) {
    if (key !== "rules" && key !== "rolesClaim") {
      throw new PolicyError(`${where}: unknown field "${key}" (expected "rules", "rolesClaim")`);
    }
  }
  const rolesClaim = doc.rolesClaim ?? DEFAULT_ROLES_CLAIM;
  if (typeof rolesClaim !== "string" || !/^[^.\s]+(\.[^.\s]+)*$/.test(rolesClaim)) {
    throw new PolicyError(`${where}: "rolesClaim" must be a claim name or dotted path`);
  }
  if (!isRecord(doc.rules)) throw new PolicyError(`${where}: "rules" must be an object`);
  const known = options.knownMethods;
  const knownServices = known === undefined
    ? undefined
    : new Set(known.map((m) => m.slice(0, m.indexOf("/"))));
  const rules = new Map<string, Requirement>();
  for (const [key, value] of Object.entries(doc.rules)) {
    const at = `${where}: rule "${key}"`;
    if (key !== "*") {
      const isMethod = /^[A-Za-z_][\w.]*\/[A-Za-z_]\w*$/.test(key);
      const isService = /^[A-Za-z_][\w.]*$/.test(key);
      if (!isMethod && !isService) {
        throw new PolicyError(`${at} must be "package.Service", "package.Service/Method" or "*"`);
      }
      if (known !== undefined && isMethod && !known.includes(key)) {
        throw new PolicyError(`${at} names no method this server has`);
      }
      if (knownServices !== undefined && isService && !knownServices.has(key)) {
        throw new PolicyError(`${at} names no service this server has`);
      }
    }
    if (!isRecord(value)) throw new PolicyError(`${at} must be an object with "scopes" or "roles"`);
    for (const field of Object.keys(value)) {
      if (field !== "scopes" && field !== "roles") {
        throw new PolicyError(`${at}: unknown field "${field}" (expected "scopes", "roles")`);
      }
    }
    rules.set(key, {
      scopes: stringList(value.scopes, `${at}: "scopes"`),
      roles: stringList(value.roles, `${at}: "roles"`),
    });
  }
  return Object.freeze({ rolesClaim, rules });
}

function stringList(value: unknown, what: string): readonly string[] {
  if (value === undefined) return [];
  const list = typeof value === "string" ? value.split(" ").filter((s) => s !== "") : value;
  if (!Array.isArray(list) || !list.every((s) => typeof s === "string" && TOKEN.test(s))) {
    throw new PolicyError(`${what} must be a list of names without spaces or quotes`);
  }
  return Object.freeze([...new Set(list as string[])]);
}

/**
 * The rule for a method, or `undefined` when only a valid token is needed.
 * @param policy the policy
 * @param path the gRPC path, `/pkg.Service/Method`
 */
export function requirementFor(policy: AuthzPolicy, path: string): Requirement | undefined {
  const method = path.startsWith("/") ? path.slice(1) : path;
  const service = method.slice(0, method.indexOf("/"));
  return policy.rules.get(method) ?? policy.rules.get(service) ?? policy.rules.get("*");
}

/**
 * Whether a rule names this method or its service (`"*"` does not count):
 * public services need a token only when named.
 */
export function namesMethod(policy: AuthzPolicy, path: string): boolean {
  const method = path.startsWith("/") ? path.slice(1) : path;
  return policy.rules.has(method) || policy.rules.has(method.slice(0, method.indexOf("/")));
}

/** The outcome of {@linkcode authorize}. */
export type AuthzDecision =
  | { readonly allowed: true }
  | { readonly allowed: false; readonly message: string };

/**
 * Checks an identity against the rule for `path`. The refusal message names
 * the first missing scope or role, never the token.
 *
 * @example
 * ```ts
 * const decision = authorize(policy, "/helloworld.Greeter/SayHello", identityOf(claims));
 * if (!decision.allowed) console.log(decision.message); // e.g. missing scope "greet"
 * ```
 */
export function authorize(policy: AuthzPolicy, path: string, identity: Identity): AuthzDecision {
  return decide(requirementFor(policy, path), identity);
}

const ALLOWED: AuthzDecision = Object.freeze({ allowed: true });

/**
 * Checks an identity against a rule found earlier with
 * {@linkcode requirementFor} (`undefined`: any valid token), as
 * {@linkcode authorize} does: for a caller that looks the rule up once per
 * method rather than once per call.
 *
 * @param rule the method's rule, if any
 * @param identity the verified caller
 * @returns allowed, or the refusal naming the first missing scope or role
 */
export function decide(rule: Requirement | undefined, identity: Identity): AuthzDecision {
  if (rule === undefined) return ALLOWED;
  const missingScope = rule.scopes.find((s) => !identity.scopes.includes(s));
  if (missingScope !== undefined) {
    return { allowed: false, message: `missing scope "${missingScope}"` };
  }
  const missingRole = rule.roles.find((r) => !identity.roles.includes(r));
  if (missingRole !== undefined) {
    return { allowed: false, message: `missing role "${missingRole}"` };
  }
  return ALLOWED;
}

/**
 * The typed identity in verified claims.
 *
 * @param claims verified token claims (`sub` is a non-blank string by then)
 * @param rolesClaim claim (or dotted path) holding roles @default "roles"
 *
 * @example
 * ```ts
 * const identity = identityOf({ sub: "alice", scope: "greet read", roles: ["admin"] });
 * // { subject: "alice", scopes: ["greet", "read"], roles: ["admin"] }
 * ```
 */
export function identityOf(
  claims: Readonly<Record<string, unknown>>,
  rolesClaim: string = DEFAULT_ROLES_CLAIM,
): Identity {
  const scopes = new Set<string>([...names(claims.scope), ...names(claims.scp)]);
  let roles: unknown = claims;
  for (const part of rolesClaim.split(".")) roles = isRecord(roles) ? roles[part] : undefined;
  return Object.freeze({
    subject: String(claims.sub),
    scopes: Object.freeze([...scopes]),
    roles: Object.freeze([...new Set(names(roles))]),
  });
}

/** Names in a space-separated string or an array of strings; anything else gives none. */
function names(value: unknown): string[] {
  if (typeof value === "string") return value.split(" ").filter((s) => s !== "");
  if (Array.isArray(value)) return value.filter((s): s is string => typeof s === "string");
  return [];
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function firstLine(error: unknown): string {
  return String((error as Error).message ?? error).split("\n")[0];
}
