/**
 * An error with a stable `code` to branch on (messages may change): the one
 * shape of this package's errors, EventDraftError, TableSqlError and
 * ReportQueryError.
 */
export class CodedError<C extends string> extends Error {
  constructor(
    readonly code: C,
    message: string,
  ) {
    super(message);
  }
}
