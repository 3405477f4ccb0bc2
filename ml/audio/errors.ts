/**
 * A file the user gave us that we cannot use. The message always names the file and says why, so
 * it can be shown as is (DESIGN.md, "Bad input and data safety").
 */
export class AudioFileError extends Error {
  override readonly name = 'AudioFileError';
  readonly file: string;
  readonly reason: string;

  constructor(file: string, reason: string, options?: ErrorOptions) {
    super(`${file}: ${reason}`, options);
    this.file = file;
    this.reason = reason;
  }
}
