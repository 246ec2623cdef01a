/** A process that holds a host port for a container instead of the containerised service. */
export type HelperKind = 'docker-proxy' | 'conmon' | 'rootlessport' | 'pasta';

/**
 * The helper kind of a process name (kernel comm, at most 15 characters), or null.
 * `rootlessport-child` shows as `rootlessport-ch`; pasta may run as `pasta.avx2`.
 */
export function classifyHelper(name: string | null): HelperKind | null {
  switch (name) {
    case 'docker-proxy':
      return 'docker-proxy';
    case 'conmon':
      return 'conmon';
    case 'rootlessport':
    case 'rootlessport-ch':
    case 'rootlessport-child':
      return 'rootlessport';
    case 'pasta':
    case 'pasta.avx2':
      return 'pasta';
    default:
      return null;
  }
}

/** What docker-proxy's command line says it forwards. */
export interface DockerProxyTarget {
  readonly protocol: string | null;
  readonly hostIp: string | null;
  readonly hostPort: number | null;
  readonly containerIp: string | null;
  readonly containerPort: number | null;
}

/** Reads `-proto tcp -host-ip 0.0.0.0 -host-port 8080 -container-ip 172.17.0.2 -container-port 80`. */
export function parseDockerProxyArgs(argv: readonly string[]): DockerProxyTarget {
  const value = (flag: string): string | null => {
    const index = argv.findIndex((arg) => arg === `-${flag}` || arg === `--${flag}`);
    if (index !== -1) {
      return argv[index + 1] ?? null;
    }
    const inline = argv.find((arg) => arg.startsWith(`-${flag}=`) || arg.startsWith(`--${flag}=`));
    return inline === undefined ? null : inline.slice(inline.indexOf('=') + 1);
  };
  const port = (flag: string): number | null => {
    const text = value(flag);
    const number = text === null ? Number.NaN : Number(text);
    return Number.isInteger(number) && number > 0 && number <= 65_535 ? number : null;
  };
  return {
    protocol: value('proto'),
    hostIp: value('host-ip'),
    hostPort: port('host-port'),
    containerIp: value('container-ip'),
    containerPort: port('container-port'),
  };
}
