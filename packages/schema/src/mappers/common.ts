/** Helpers shared by the OCSF and ECS mappers. */

/** A JSON object as the mappers build it (values may be undefined until pruned). */
export type JsonObject = { [key: string]: unknown };

/**
 * Drops `undefined` values, and objects and arrays left empty, recursively,
 * so mapped records carry no placeholders and compare cleanly as JSON.
 */
export function prune<T extends JsonObject>(value: T): T {
  return pruneValue(value) as T ?? ({} as T);
}

function pruneValue(value: unknown): unknown {
  if (Array.isArray(value)) {
    const items = value.map(pruneValue).filter((v) => v !== undefined);
    return items.length ? items : undefined;
  }
  if (value !== null && typeof value === 'object') {
    const out: JsonObject = {};
    for (const [k, v] of Object.entries(value)) {
      const p = pruneValue(v);
      if (p !== undefined) out[k] = p;
    }
    return Object.keys(out).length ? out : undefined;
  }
  return value;
}

/** `WEBAUTHN_AUTH_FAILURE` -> `webauthn-auth-failure` (ECS `event.action`, JSON Schema file names). */
export function kebab(eventType: string): string {
  return eventType.toLowerCase().replace(/_/g, '-');
}

/** An image reference split into repository name, tag and digest (`repo[:tag][@sha256:...]`); an image id has no name. */
export interface ImageRef {
  name?: string;
  tag?: string;
  digest?: string;
}

/**
 * An image id (`sha256:` and 64 hex digits; moby image/id.go): what Docker
 * records as the image of a container created from an id rather than a name
 * (`docker run sha256:...`; Kubernetes on Docker through cri-dockerd, whose
 * kubelet creates every container from the image id it pulled).
 */
const IMAGE_ID = /^sha256:[0-9a-f]{64}$/;

/**
 * Splits `registry:5000/team/app:1.2@sha256:...`. The tag is the part after
 * the last `:` that follows the last `/`, so a registry port is not a tag.
 * An image id is a digest with no name nor tag: split at its `:`, it was the
 * image `sha256` with its hex as the tag (found by a probe).
 */
export function parseImage(image: string): ImageRef {
  if (IMAGE_ID.test(image)) return { digest: image };
  const at = image.indexOf('@');
  // An empty digest or tag (`app@`, `app:`) is none: mapped as "", it read as a value (found by the schema probe).
  const digest = (at >= 0 ? image.slice(at + 1) : '') || undefined;
  const ref = at >= 0 ? image.slice(0, at) : image;
  const colon = ref.lastIndexOf(':');
  if (colon > ref.lastIndexOf('/')) return { name: ref.slice(0, colon), tag: ref.slice(colon + 1) || undefined, digest };
  return { name: ref, digest };
}

/** Unique, defined values in order. */
export function uniq<T>(values: ReadonlyArray<T | undefined>): T[] {
  return [...new Set(values.filter((v): v is T => v !== undefined))];
}
