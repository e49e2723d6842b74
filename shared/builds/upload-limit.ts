// How large an uploaded source archive may be, and the refusal of one that is larger. Kept apart
// from the archive extraction (archive.ts) so that what only receives uploads does not load it.
import { BerthError } from '../errors.ts';

/** The largest uploaded source archive the platform accepts, unless a deployment sets less. */
export const MAX_ARCHIVE_BYTES = 200 * 1024 * 1024;

/** An upload refused at the door: the source archive sent is over the platform's limit. */
export class UploadTooLargeError extends BerthError {
  constructor(maxBytes: number) {
    super(413, 'PayloadTooLarge', `the source archive is larger than ${maxBytes} bytes`, { suggestion: 'add a .s2iignore or upload less' });
  }
}
