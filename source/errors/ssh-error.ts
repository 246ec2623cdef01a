import {NanodockError} from './nanodock-error.js';

/** Why an engine over ssh could not be reached, or stopped answering. */
export type SshFailure =
  | 'no-ssh' // no `ssh` program on this machine's PATH
  | 'host-key' // the remote's host key is unknown or changed (known_hosts)
  | 'auth' // the remote refused every key (or wanted a password: BatchMode never prompts)
  | 'unreachable' // the host name, the network or the port: no ssh server answered
  | 'no-engine' // ssh worked, but the remote has no `docker` (exit 127) or no engine behind it
  | 'dropped' // the ssh connection ended while it was in use (a stream, a request)
  | 'timeout'; // no answer within the deadline

const fixes: Record<SshFailure, (host: string) => string> = {
  'no-ssh': () => 'install an OpenSSH client (Debian: apt-get install openssh-client)',
  'host-key': (host) =>
    `the host key of ${host} is not known (or changed): add it with \`ssh-keyscan ${host} >> ~/.ssh/known_hosts\` after checking it, or connect once with \`ssh ${host}\``,
  auth: (host) =>
    `check the key (ssh-add, IdentityFile in ~/.ssh/config) and that \`ssh ${host}\` works without a prompt`,
  unreachable: (host) =>
    `check the host name, the port and the network (\`ssh ${host}\` should connect)`,
  'no-engine': (host) =>
    `\`docker\` is not on the remote PATH or its engine is not running: install Docker on ${host}, or use the Podman form ssh://user@${host}/run/podman/podman.sock`,
  dropped: () => 'the ssh connection ended mid-stream; it is opened again on the next request',
  timeout: (host) => `check that \`ssh ${host}\` answers quickly (ConnectTimeout, a hung proxy)`,
};

/**
 * An engine reached over ssh (`ssh://user@host`) failed at the ssh level: `failure` says how
 * (classified from ssh's exit code, 255 for its own failures, 127 for a missing remote command,
 * and its stderr), `stderr` holds ssh's own words (trimmed, at most a few KiB), `address` the
 * endpoint's `ssh://` address. The message says what failed and how to fix it (`fix`
 * replaces the usual advice where the caller knows better).
 */
export class SshError extends NanodockError {
  override readonly name = 'SshError';
  readonly address: string;
  readonly failure: SshFailure;
  readonly stderr: string;

  constructor(
    address: string,
    failure: SshFailure,
    detail: string,
    options?: {cause?: unknown; stderr?: string; host?: string; fix?: string},
  ) {
    const stderr = options?.stderr?.trim() ?? '';
    const said = stderr === '' ? '' : ` (ssh: ${lastLines(stderr)})`;
    const fix = options?.fix ?? fixes[failure](options?.host ?? 'HOST');
    super(`${address}: ${detail}${said}; ${fix}`, options);
    this.address = address;
    this.failure = failure;
    this.stderr = stderr;
  }
}

/** The last two lines of ssh's stderr, for a one-line message (the rest stays in `stderr`). */
function lastLines(text: string): string {
  return text.split('\n').slice(-2).join(' / ').trim();
}
