import { readFileSync, readlinkSync } from 'node:fs';
import { hostname } from 'node:os';

/**
 * What tells one process apart from every other, where Linux says it
 * (proc(5)): a pid alone does not. A container's entry point is pid 1 in
 * every incarnation of the container, and pids are reused. Every thread of
 * a process has the same identity.
 */
export interface ProcessIdentity {
  pid: number;
  /** Start time in clock ticks after boot (/proc/PID/stat, field 22): differs between two processes that had the same pid. */
  start: string;
  /** /proc/sys/kernel/random/boot_id: start times and pids only compare within one boot. */
  boot: string;
  /** The PID namespace (/proc/self/ns/pid link text, e.g. `pid:[4026531836]`): pids only compare within one. */
  pidns: string;
  /** For people reading the lock, not compared. */
  host: string;
}

/**
 * Field 22 (starttime) of a /proc/PID/stat line. Field 2, the command name,
 * is in parentheses and may itself hold spaces and parentheses, so fields are
 * counted from the last `)`.
 */
export function startTimeOf(stat: string): string | undefined {
  const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // rest[0] is field 3 (state): field 22 is rest[19].
  const start = rest[19];
  return start !== undefined && /^\d+$/.test(start) ? start : undefined;
}

let self: ProcessIdentity | null | undefined;

/** This process's identity, or null where /proc does not give one (not Linux). Read once. */
export function selfIdentity(): ProcessIdentity | null {
  if (self !== undefined) return self;
  try {
    const start = startTimeOf(readFileSync('/proc/self/stat', 'latin1'));
    const boot = readFileSync('/proc/sys/kernel/random/boot_id', 'latin1').trim();
    const pidns = readlinkSync('/proc/self/ns/pid');
    self = start ? { pid: process.pid, start, boot, pidns, host: hostname() } : null;
  } catch {
    self = null;
  }
  return self;
}

/** The start time of process `pid` as this PID namespace sees it, or undefined (gone, or no /proc). */
export function startTimeOfPid(pid: number): string | undefined {
  try {
    return startTimeOf(readFileSync(`/proc/${pid}/stat`, 'latin1'));
  } catch {
    return undefined;
  }
}
