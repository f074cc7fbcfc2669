import { kindOf, optionalFlag, optionalObject, optionalText, optionalTexts } from './json-fields.js';
import { commandLine } from './k8s-stream-request.js';

// What `kubectl debug POD --image=...` sends: an ephemeral container added
// to the running pod through the pods/ephemeralcontainers subresource
// (https://kubernetes.io/docs/tasks/debug/debug-application/debug-running-pod/#ephemeral-container).
// Field names: k8s.io/api core/v1 types.go (`EphemeralContainer`,
// `EphemeralContainerCommon`, `SecurityContext`, `Capabilities`). The audit
// event carries the request body as `requestObject` at level Request or
// above: for a PATCH the patch exactly as sent (apiserver audit/context.go,
// `LogRequestPatch`), for a PUT the decoded object.

/** One ephemeral container a request adds, as its body gives it. Everything here came from the client. */
export interface AddedContainer {
  name?: string;
  image?: string;
  /** `command`: replaces the image's ENTRYPOINT. */
  command: string[];
  /** `args`: replace the image's CMD. */
  args: string[];
  /** `targetContainerName`: the container whose process namespace it joins (`kubectl debug --target`). */
  target?: string;
  /** `stdin`: it reads input from an attached client (`kubectl debug -i`). */
  stdin: boolean;
  /** `tty`: it has a terminal (`kubectl debug -t`). */
  tty: boolean;
  /** `securityContext.privileged` is true (`kubectl debug --profile=sysadmin`). */
  privileged: boolean;
  /** `securityContext.capabilities.add`, in order (the `general` profile adds SYS_PTRACE, `netadmin` NET_ADMIN and NET_RAW). */
  capabilities: string[];
}

/** What the request body says about the ephemeral containers it adds. */
export type AddedContainers =
  /** The containers it names. */
  | { kind: 'read'; containers: AddedContainer[] }
  /** No body (level Metadata, or a request refused before its body was read), or a body whose containers cannot be told (see {@link fromJsonPatch}). */
  | { kind: 'unknown' };

/** The path of the ephemeral containers in a Pod (Kubernetes 1.22 and later). */
const POD_PATH = ['spec', 'ephemeralContainers'];
/**
 * Their path in the `EphemeralContainers` object the subresource took from
 * Kubernetes 1.16 to 1.21 (kubectl's fallback for those servers was a JSON
 * patch of `/ephemeralContainers/-`).
 */
const LEGACY_PATH = ['ephemeralContainers'];

/** One `EphemeralContainer` of the body. */
function containerOf(value: unknown, field: string): AddedContainer {
  const c = optionalObject(value, field);
  if (!c) throw new TypeError(value === undefined ? `${field} is missing` : `${field} is ${kindOf(value)}, not an object`);
  const security = optionalObject(c.securityContext, `${field}.securityContext`);
  const capabilities = optionalObject(security?.capabilities, `${field}.securityContext.capabilities`);
  const name = optionalText(c.name, `${field}.name`);
  const image = optionalText(c.image, `${field}.image`);
  const target = optionalText(c.targetContainerName, `${field}.targetContainerName`);
  return {
    ...(name ? { name } : {}),
    ...(image ? { image } : {}),
    command: optionalTexts(c.command, `${field}.command`),
    args: optionalTexts(c.args, `${field}.args`),
    ...(target ? { target } : {}),
    stdin: optionalFlag(c.stdin, `${field}.stdin`),
    tty: optionalFlag(c.tty, `${field}.tty`),
    privileged: optionalFlag(security?.privileged, `${field}.securityContext.privileged`),
    capabilities: optionalTexts(capabilities?.add, `${field}.securityContext.capabilities.add`),
  };
}

/**
 * The containers of an `ephemeralContainers` list. In a strategic merge
 * patch an element holding `$patch: delete` (remove the named one) or
 * `$patch: replace` (the list replaces the old one) is a directive, not a
 * container (apimachinery strategicpatch, "Patch directives"); neither adds
 * one.
 */
function listOf(value: unknown, field: string): AddedContainer[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) throw new TypeError(`${field} is ${kindOf(value)}, not an array`);
  const out: AddedContainer[] = [];
  value.forEach((v, i) => {
    const directive = typeof v === 'object' && v !== null ? (v as Record<string, unknown>).$patch : undefined;
    if (directive !== 'delete' && directive !== 'replace') out.push(containerOf(v, `${field}[${i}]`));
  });
  return out;
}

/** The value at `path` inside `value` (a JSON document), or undefined where a step is missing or not an object. */
function dig(value: unknown, path: readonly string[]): unknown {
  let at = value;
  for (const key of path) {
    if (typeof at !== 'object' || at === null || Array.isArray(at)) return undefined;
    at = (at as Record<string, unknown>)[key];
  }
  return at;
}

/** A JSON pointer's reference tokens (RFC 6901: `~1` is `/`, `~0` is `~`), or undefined for one that is not a pointer. */
function pointerTokens(pointer: string): string[] | undefined {
  if (pointer === '') return [];
  if (!pointer.startsWith('/')) return undefined;
  return pointer
    .slice(1)
    .split('/')
    .map((t) => t.replace(/~1/g, '/').replace(/~0/g, '~'));
}

/** Whether the first tokens of `tokens` are `prefix`. */
function startsWith(tokens: readonly string[], prefix: readonly string[]): boolean {
  return prefix.length <= tokens.length && prefix.every((t, i) => tokens[i] === t);
}

/** A JSON patch operation's pointer field (`path`, `from`): its tokens, or undefined when absent or not a pointer. */
function pointerOf(value: unknown, field: string): string[] | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw new TypeError(`${field} is ${kindOf(value)}, not a string`);
  // "" is a pointer too: the whole document.
  return pointerTokens(value);
}

/** Whether `tokens` point at the list at `list`, inside it, or at a parent holding it. */
function touches(tokens: readonly string[] | undefined, list: readonly string[]): boolean {
  return tokens !== undefined && (startsWith(tokens, list) || startsWith(list, tokens));
}

/**
 * The containers a JSON patch (RFC 6902, an array of operations) adds: an
 * `add` or `replace` of one element (`/spec/ephemeralContainers/-`), of the
 * whole list, or of a parent holding it (`/spec`). An operation that writes
 * inside an element (`replace /spec/ephemeralContainers/0/command`, or a
 * `remove` there), a `copy` or `move` into the list or a `move` out of it, may change
 * what an earlier operation of the patch added, and what runs is then not
 * known from the body: unknown, rather than a command that is not the one
 * that ran. `test` writes nothing; a `remove` of an element or of the list
 * adds nothing (and is refused for a container added before).
 */
function fromJsonPatch(ops: unknown[]): AddedContainers {
  const containers: AddedContainer[] = [];
  for (const [i, op] of ops.entries()) {
    const field = `requestObject[${i}]`;
    const o = optionalObject(op, field);
    if (!o) throw new TypeError(`${field} is ${kindOf(op)}, not an object`);
    const verb = optionalText(o.op, `${field}.op`);
    // No path, or one that is not a pointer, fails the whole patch (json-patch: "invalid path").
    const tokens = pointerOf(o.path, `${field}.path`);
    const from = verb === 'copy' || verb === 'move' ? pointerOf(o.from, `${field}.from`) : undefined;
    for (const list of [POD_PATH, LEGACY_PATH]) {
      // A copy out of the list leaves it as it is; a move out removes from it.
      if (verb === 'test' || !(touches(tokens, list) || (verb === 'move' && touches(from, list)))) continue;
      if (verb === 'copy' || verb === 'move') return { kind: 'unknown' };
      const rest = tokens!.slice(list.length);
      const inside = startsWith(tokens!, list);
      if (inside && rest.length > 1) return { kind: 'unknown' };
      if (verb !== 'add' && verb !== 'replace') continue;
      if (!inside) {
        const below = list.slice(tokens!.length);
        containers.push(...listOf(dig(o.value, below), [`${field}.value`, ...below].join('.')));
      } else if (rest.length === 0) containers.push(...listOf(o.value, `${field}.value`));
      else if (/^(?:-|0|[1-9]\d*)$/.test(rest[0]!)) containers.push(containerOf(o.value, `${field}.value`));
      else return { kind: 'unknown' };
    }
  }
  return { kind: 'read', containers };
}

/**
 * The ephemeral containers a pods/ephemeralcontainers request adds, from
 * its `requestObject`, in each shape the subresource takes: a strategic
 * merge patch (`{"spec":{"ephemeralContainers":[...]}}`, what kubectl debug
 * sends since 1.22: only the new container, with `$setElementOrder` naming
 * them all), a JSON merge patch or a whole Pod (PUT), an `EphemeralContainers`
 * object (PUT, Kubernetes 1.16 to 1.21), or a JSON patch (see
 * {@link fromJsonPatch}).
 *
 * A Pod, a merge patch or an `EphemeralContainers` object restates the
 * containers added before (they cannot be changed or removed, so a PUT must
 * carry them), and the audit event does not tell them from the new one: all
 * are returned. The status the client sends (`ephemeralContainerStatuses`)
 * is not used to tell them apart: the client writes it (the server ignores
 * it), and listing the new container there would hide it.
 *
 * Throws when the body, or a field read here, has the wrong type (the API
 * server refuses such a request; classifyObject keeps the line as a reject).
 */
export function addedContainersOf(requestObject: unknown): AddedContainers {
  if (requestObject === undefined || requestObject === null) return { kind: 'unknown' };
  if (Array.isArray(requestObject)) return fromJsonPatch(requestObject);
  const body = optionalObject(requestObject, 'requestObject')!;
  // A body with a spec is a Pod or a patch of one; without, the EphemeralContainers object of 1.16 to 1.21.
  const spec = optionalObject(body.spec, 'requestObject.spec');
  const containers = spec ? listOf(spec.ephemeralContainers, 'requestObject.spec.ephemeralContainers') : listOf(body.ephemeralContainers, 'requestObject.ephemeralContainers');
  return { kind: 'read', containers };
}

/**
 * The command line a container runs, as far as its spec says (core/v1
 * Container: `command` replaces the image's ENTRYPOINT, `args` its CMD):
 * command and args joined as {@link commandLine} joins them; args alone
 * after `(image entrypoint)`; `(image default)` without either. The markers
 * cannot be mistaken for an argument: an argument with a parenthesis or a
 * space is quoted.
 */
export function containerCommandLine(c: AddedContainer): string {
  if (c.command.length > 0) return commandLine([...c.command, ...c.args]);
  if (c.args.length > 0) return `(image entrypoint) ${commandLine(c.args)}`;
  return '(image default)';
}

/** The CONTAINER_EXEC fields that say which ephemeral containers a request added and what they run. */
export interface EphemeralExec {
  /** The name (several: their names, joined with ","), for `runtime.k8s_container`; absent when not known. */
  container?: string;
  /** The event's `container` detail. */
  detail: { name?: string; image?: string; target?: string; privileged?: boolean; capabilities?: string[] };
  /** The event's `process` detail. */
  process: { command_line: string; tty?: boolean; interactive?: boolean };
}

/**
 * What a pods/ephemeralcontainers request added, as the fields of one
 * event: the container's name, image and command line, `tty` and
 * `interactive` (its `tty` and `stdin`), `privileged`, and the capabilities
 * it adds. Not known (no body): the pod only, command `(unknown)`; a body
 * that adds none: `(none)`.
 *
 * One audit line becomes one event, so a request adding several containers
 * (a patch can; a PUT restates the earlier ones) is one event naming them
 * all: names joined with "," (a container name is a DNS label, which has
 * none), their images likewise, each command line after its container's
 * name and joined with " ; " (which an argument never shows unquoted), a
 * terminal or input if any has one, privileged if any is, and every
 * capability added. `container.target` is the `targetContainerName` (each
 * named once, joined with ","): the container whose processes and files the new one reaches
 * (through /proc/1/root), which is the one a debug session really opens.
 */
export function ephemeralExecOf(requestObject: unknown): EphemeralExec {
  const added = addedContainersOf(requestObject);
  if (added.kind === 'unknown') return { detail: {}, process: { command_line: '(unknown)' } };
  const all = added.containers;
  if (all.length === 0) return { detail: {}, process: { command_line: '(none)' } };
  const joined = (values: (string | undefined)[]) => (values.some((v) => v !== undefined) ? values.map((v) => v ?? '').join(',') : undefined);
  const name = joined(all.map((c) => c.name));
  const image = joined(all.map((c) => c.image));
  // The containers reached, each once: several debuggers may target one.
  const target = [...new Set(all.flatMap((c) => (c.target ? [c.target] : [])))].join(',');
  const capabilities = [...new Set(all.flatMap((c) => c.capabilities))];
  const command =
    all.length === 1 ? containerCommandLine(all[0]!) : all.map((c) => `${c.name ? commandLine([c.name]) : "''"}: ${containerCommandLine(c)}`).join(' ; ');
  return {
    ...(name ? { container: name } : {}),
    detail: {
      ...(name ? { name } : {}),
      ...(image ? { image } : {}),
      ...(target ? { target } : {}),
      privileged: all.some((c) => c.privileged),
      ...(capabilities.length > 0 ? { capabilities } : {}),
    },
    process: { command_line: command, tty: all.some((c) => c.tty), interactive: all.some((c) => c.stdin) },
  };
}
