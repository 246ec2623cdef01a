/**
 * Base class of every error nanodock throws or reports. Catch this to catch them all;
 * each subclass carries the facts of its failure as fields, and the original error as `cause`.
 */
export class NanodockError extends Error {
  override readonly name: string = 'NanodockError';

  constructor(message: string, options?: {cause?: unknown}) {
    super(message, options);
  }
}
