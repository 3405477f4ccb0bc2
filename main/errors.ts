/** Bad input or arguments: the CLI exits with status 2 and this one-line message. */
export class UsageError extends Error {
  override name = 'UsageError';
}
