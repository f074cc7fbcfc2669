import { DriverMissingError } from '../sink/errors.js';

/**
 * Imports an optional peer dependency (a database driver) only when a URL of
 * its dialect is used. A missing package becomes {@link DriverMissingError}
 * naming what to install; any other load failure is passed on.
 */
export async function loadDriver<T>(packageName: 'better-sqlite3' | 'pg' | 'mssql'): Promise<T> {
  try {
    const mod = (await import(packageName)) as { default?: T } & T;
    return (mod.default ?? mod) as T;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') throw new DriverMissingError(packageName, err);
    throw err;
  }
}
