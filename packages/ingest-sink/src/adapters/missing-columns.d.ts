/** The entries of `addable` whose column the found tables lack (names compared without case; tables not found are skipped). */
export function missingColumns<T extends { table: string; column: string }>(addable: readonly T[], found: readonly { table: string; name: string }[]): T[];
