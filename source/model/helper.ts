import type {ContainerInfo} from './container-info.js';

/** A process that holds a host port for a container instead of the containerised service. */
export type HelperKind = 'docker-proxy' | 'conmon' | 'rootlessport' | 'pasta';

/**
 * What an engine profile says about one of its helper processes: the facts a genuine helper
 * shows that a less privileged user cannot fake. Process names and command lines are not
 * among them: anyone can start a program called `conmon` with any arguments.
 */
export interface HelperRule {
  readonly kind: HelperKind;
  /** Kernel names (comm, at most 15 bytes) the helper runs under. */
  readonly names: readonly string[];
  /** File names its executable may have (the basename of /proc/PID/exe). */
  readonly executables: readonly string[];
  /**
   * Who runs it: `root` for rootful engines; `user` for rootless ones, where the helper runs
   * as the container's owner and is trusted only with that owner's own containers.
   */
  readonly owner: 'root' | 'user';
  /** Executable names one of which the helper's parent must have, or null when it is daemonised (its parent is init or a subreaper). */
  readonly parents: readonly string[] | null;
}

/** An executable as /proc and stat show it. */
export interface ExecutableFacts {
  /** The real path (/proc/PID/exe, without a ` (deleted)` suffix). */
  readonly path: string;
  /** Owner of the file. */
  readonly ownerUid: number;
  /** True when someone other than root could change the file or replace it in its folder. */
  readonly isReplaceable: boolean;
}

/** What the trust check needs to know about one process, read from /proc. */
export interface ProcessTrustFacts {
  /** Kernel name (comm). */
  readonly name: string;
  /** Real uid, or null when it could not be read. */
  readonly uid: number | null;
  /** User name of the uid, for messages. */
  readonly user: string | null;
  /** The executable, or null when /proc/PID/exe cannot be read (another user's, when not root). */
  readonly executable: ExecutableFacts | null;
  /** The parent's pid, name and executable path (null when unreadable). */
  readonly parent: {
    readonly pid: number;
    readonly name: string;
    readonly executable: ExecutableFacts | null;
  } | null;
}

/** The verdict on a process that runs under a helper's name. */
export type HelperVerdict<Rule extends HelperRule = HelperRule> =
  | {readonly trusted: true; readonly kind: HelperKind; readonly rule: Rule}
  | {readonly trusted: false; readonly kind: HelperKind; readonly reason: string};

const baseName = (path: string): string => path.slice(path.lastIndexOf('/') + 1);

function isGenuineExecutable(
  executable: ExecutableFacts | null,
  names: readonly string[],
): executable is ExecutableFacts {
  return (
    executable !== null &&
    executable.ownerUid === 0 &&
    !executable.isReplaceable &&
    names.includes(baseName(executable.path))
  );
}

function describeExecutable(facts: ProcessTrustFacts): string {
  const who = facts.user ?? (facts.uid === null ? 'an unknown user' : `uid ${facts.uid}`);
  if (facts.executable === null) {
    return `an unreadable executable run by ${who}`;
  }
  const {path, ownerUid, isReplaceable} = facts.executable;
  if (ownerUid !== 0 || isReplaceable) {
    return `${path} (a file someone other than root can change) run by ${who}`;
  }
  return `${path} run by ${who}`;
}

/**
 * Whether a process is the helper its name claims, by what a less privileged user cannot fake:
 * its executable is a root-owned file with the helper's name that only root can change, it runs
 * as the engine's user (root, or for a rootless engine any user but root), and, where the
 * engine starts it directly, its parent is the engine. Returns null when no rule has the
 * process's name; an untrusted verdict says why in one line ("named conmon, but
 * /usr/bin/python3 run by ndlab: not trusted"). Pure: the caller reads the facts.
 */
export function judgeHelper<Rule extends HelperRule>(
  facts: ProcessTrustFacts,
  rules: readonly Rule[],
): HelperVerdict<Rule> | null {
  const named = rules.filter((rule) => rule.names.includes(facts.name));
  const first = named[0];
  if (first === undefined) {
    return null;
  }
  const kind = first.kind;
  if (!isGenuineExecutable(facts.executable, first.executables)) {
    return {
      trusted: false,
      kind,
      reason: `named ${facts.name}, but ${describeExecutable(facts)}: not trusted`,
    };
  }
  const byOwner = named.find((rule) =>
    rule.owner === 'root' ? facts.uid === 0 : facts.uid !== null && facts.uid !== 0,
  );
  if (byOwner === undefined) {
    const who = facts.user ?? (facts.uid === null ? 'an unknown user' : `uid ${facts.uid}`);
    return {
      trusted: false,
      kind,
      reason: `${facts.name} runs as ${who}, which no engine's ${kind} does: not trusted`,
    };
  }
  if (byOwner.parents !== null) {
    const parent = facts.parent;
    if (parent === null || !isGenuineExecutable(parent.executable, byOwner.parents)) {
      const shown =
        parent === null
          ? 'an unreadable parent'
          : `parent ${parent.executable?.path ?? parent.name} (${parent.pid})`;
      return {
        trusted: false,
        kind,
        reason: `${facts.name} is started by ${byOwner.parents.join(' or ')}, but this one has ${shown}: not trusted`,
      };
    }
  }
  return {trusted: true, kind, rule: byOwner};
}

/**
 * What a helper process (conmon, rootlessport) resolved to: exactly one container, several
 * (the helper's files name more than one: nanodock does not guess), or none. `warnings` lists
 * files that were skipped on the way, one line each (`skipped PATH: a FIFO, not a regular
 * file`), for the caller to show.
 */
export type HelperResolution =
  | {
      readonly kind: 'match';
      readonly container: ContainerInfo;
      readonly warnings: readonly string[];
    }
  | {
      readonly kind: 'ambiguous';
      readonly candidates: readonly ContainerInfo[];
      readonly warnings: readonly string[];
    }
  | {readonly kind: 'none'; readonly warnings: readonly string[]};

/** What the host knows about a helper-named process: the verdict and, if trusted, its container. */
export interface HelperFinding {
  readonly kind: HelperKind;
  /** Null when trusted; else why not, in one line. */
  readonly untrusted: string | null;
  /** Null for a helper the join resolves through the engines' published ports, or an untrusted one. */
  readonly resolution: HelperResolution | null;
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
