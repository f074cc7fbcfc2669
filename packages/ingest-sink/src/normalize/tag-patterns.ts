import { ConfigError } from '../receivers/config-error.js';
import { escapeRegExp } from './tag-template.js';

/** True when a record's tag may carry what the patterns guard. */
export type TagFilter = (tag: string) => boolean;

/**
 * Compiles tag patterns such as `docker.events` or `swarm.audit.*.collector.*`
 * into a filter: `*` matches any run of characters (dots included), anything
 * else itself, and a pattern matches the whole tag. Undefined (no patterns
 * configured) means no filter. An empty list matches no tag.
 */
export function compileTagPatterns(patterns: readonly string[] | undefined): TagFilter | undefined {
  if (patterns === undefined) return undefined;
  if (!Array.isArray(patterns) || !patterns.every((p) => typeof p === 'string' && p !== '')) {
    throw new ConfigError('CONFIG_INVALID', 'containerEventTags must be an array of non-empty strings (a list of tags, e.g. ["docker.events", "falco"])');
  }
  const sources = patterns.map((p) => p.split('*').map(escapeRegExp).join('.*'));
  const re = new RegExp(`^(?:${sources.join('|') || '(?!)'})$`);
  return (tag) => re.test(tag);
}
