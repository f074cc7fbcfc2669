/** The idempotency key of a reject row: base64url SHA-256 of its length-prefixed source and reason, then its raw payload. */
export function rejectKey(source: string, reason: string, raw: string): string;
