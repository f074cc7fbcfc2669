import { ConfigError } from '../receivers/config-error.js';
import type { TransportMeta } from '@audit-trail/schema';

/** Transport fields a tag can carry. */
export type TagMeta = Pick<TransportMeta, 'swarm_node' | 'swarm_service' | 'swarm_task_id' | 'container_id' | 'container_name'>;

// Docker log-tag markup (moby daemon/logger/loggerutils/log_tag.go) and Swarm
// template fields, mapped to the columns they fill. A host name may contain
// dots, so it matches greedily; the other fields never contain dots.
const FIELDS: Record<string, { key: keyof TagMeta; pattern: string }> = {
  '.Node.Hostname': { key: 'swarm_node', pattern: '(.+)' },
  '.Service.Name': { key: 'swarm_service', pattern: '([^.]+)' },
  '.Task.ID': { key: 'swarm_task_id', pattern: '([^.]+)' },
  '.ID': { key: 'container_id', pattern: '([0-9a-f]{12})' },
  '.FullID': { key: 'container_id', pattern: '([0-9a-f]{64})' },
  '.Name': { key: 'container_name', pattern: '([^.]+)' },
};

/** Parses a tag into transport fields; undefined when the tag does not have the template's shape. */
export type TagParser = (tag: string) => TagMeta | undefined;

/**
 * Compiles a Docker `tag` log option template such as
 * `swarm.audit.{{.Node.Hostname}}.{{.Service.Name}}.{{.Task.ID}}` into a
 * parser. Unknown placeholders match one dot-free segment and are ignored.
 */
export function compileTagTemplate(template: string): TagParser {
  if (typeof template !== 'string' || template === '') throw new ConfigError('CONFIG_INVALID', 'tagTemplate must be a non-empty string');
  const keys: (keyof TagMeta | undefined)[] = [];
  let source = '^';
  let last = 0;
  for (const m of template.matchAll(/\{\{\s*([^}]*?)\s*\}\}/g)) {
    source += escapeRegExp(template.slice(last, m.index));
    const field = FIELDS[m[1]!];
    source += field?.pattern ?? '([^.]+)';
    keys.push(field?.key);
    last = m.index + m[0].length;
  }
  source += `${escapeRegExp(template.slice(last))}$`;
  const re = new RegExp(source);
  return (tag) => {
    const m = re.exec(tag);
    if (!m) return undefined;
    const out: TagMeta = {};
    keys.forEach((k, i) => {
      if (k && m[i + 1]) out[k] = m[i + 1];
    });
    return out;
  };
}

/** `s` as a regular expression that matches it literally. */
export function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
