import {NanodockError} from './nanodock-error.js';

/** Why a file was refused by the safe read (source/host/safe-file.ts). */
export type UnsafeFileReason =
  | 'symlink' // the last path component is a symbolic link: never followed
  | 'not-regular' // a FIFO, a device, a socket or a folder
  | 'owner' // owned by another uid than the one whose data it must be
  | 'writable' // writable by every user, so anyone could have written it
  | 'size' // larger than the cap for that kind of file
  | 'timeout'; // opening or reading it took longer than the time bound

/**
 * A file written by another user was refused, not read (or its read abandoned): `reason` says
 * why, `path` which file; the message reads `PATH: a FIFO, not a regular file`.
 */
export class UnsafeFileError extends NanodockError {
  override readonly name = 'UnsafeFileError';
  readonly path: string;
  readonly reason: UnsafeFileReason;

  constructor(path: string, reason: UnsafeFileReason, detail: string, options?: {cause?: unknown}) {
    super(`${path}: ${detail}`, options);
    this.path = path;
    this.reason = reason;
  }
}
