/** A configuration mistake: `code` names it, the message never holds a secret. */
export class ConfigError extends Error {
  override name = 'ConfigError';
  constructor(
    readonly code: 'CONFIG_INVALID' | 'CONFIG_FILE_UNREADABLE',
    message: string,
  ) {
    super(message);
  }
}
