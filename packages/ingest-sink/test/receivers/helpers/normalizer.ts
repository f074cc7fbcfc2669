import { newCounters } from '../../../src/receivers/counters.js';
import { compileTagPatterns } from '../../../src/normalize/tag-patterns.js';
import { RecordNormalizer } from '../../../src/normalize/record.js';
import type { Normalized } from '../../../src/normalize/classify-line.js';
import { DEFAULT_TAG_TEMPLATE } from '../../../src/receivers/defaults.js';

/** A RecordNormalizer with small partial-line limits, its counters, and `run(tag, record)` returning what it made of the record. */
export function normalizer(tagTemplate = DEFAULT_TAG_TEMPLATE, containerEventTags?: string[]) {
  const counters = newCounters();
  const n = new RecordNormalizer({ tagTemplate, partials: { maxLineBytes: 100_000, maxOpen: 2, maxOpenBytes: 1 << 30, maxAgeMs: 1000 }, containerEventTags: compileTagPatterns(containerEventTags) }, counters);
  const run = (tag: string, record: unknown, signal = 0): Normalized[] => {
    const out: Normalized[] = [];
    n.normalize(tag, record, signal, 'test', out);
    return out;
  };
  return { n, counters, run };
}

/** A 64-hex container id. */
export const CID = '4f2c1e8a9b7d' + '0'.repeat(52);
