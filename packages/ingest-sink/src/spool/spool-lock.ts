import { open, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { SinkError } from '../sink/errors.js';

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Takes the spool directory for this process: two sinks appending to one
 * spool would interleave frames. A lock left by a dead process (crash,
 * SIGKILL) is taken over; one held by a live process is an error.
 */
export async function lockSpool(dir: string): Promise<() => Promise<void>> {
  const path = join(dir, 'LOCK');
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fh = await open(path, 'wx');
      await fh.writeFile(String(process.pid));
      await fh.close();
      return () => rm(path, { force: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const pid = Number((await readFile(path, 'utf8').catch(() => '')).trim());
      if (pid && pid !== process.pid && alive(pid)) {
        throw new SinkError('SINK_SPOOL_IO', `spool ${dir} is in use by process ${pid}`);
      }
      if (pid === process.pid) throw new SinkError('SINK_SPOOL_IO', `spool ${dir} is already open in this process`);
      await rm(path, { force: true });
    }
  }
  throw new SinkError('SINK_SPOOL_IO', `cannot lock spool ${dir}`);
}
