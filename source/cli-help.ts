/** The text of `nanodock-top --help`. */
export const helpText = `
  Usage
    $ nanodock-top [flags]

  Every listening socket on this host, the process holding it, and the container that
  published it (Docker, Podman, rootless Podman), refreshed live.

  Flags
    --interval T       Refresh every T: 500ms, 2s, 1m (default 2s)
    --port N|A-B       Start filtered to port N, or ports A to B
    --sort COLUMN      Sort by host, proto, address, port, pid, process, user, container,
                       compose, image or uptime; -COLUMN sorts descending, as in
                       --sort -uptime (default port)
    -H, --host X       Watch the engines of X: a docker context's name, an address
                       (unix://, tcp://, ssh://user@server) or all-contexts; repeat it
                       for several hosts (a HOST column appears). Default: this machine
    --group            Group rows under their compose project, container or process
                       (--once prints the tree; --json is unchanged)
    --once             Print the table once and exit (the default when stdout is not a
                       terminal); the summary line goes to stderr, helper rows are marked *
    --json             Print the rows as a JSON array and exit
    --no-color         No colours (NO_COLOR is honoured too); the selection stays inverse
    -h, --help         Show this help
    -V, -v, --version  Show the version

  A value follows its flag after a space or '='. Each flag but --host may be given once: a
  repeated flag is an error.

  Keys: arrows/j, PgUp/PgDn, Home/End (g/G) move · / (F3, F4) filter: 80 ports starting
  with 80, =80 port 80 exactly, 80-90 a range, text names · Esc clears the filter ·
  Enter details · k (F9) kill · s stop · < > (F6) sort · I invert · p pause · ^L redraw ·
  ? (F1) help · q (F10) quit. In help and details the move keys scroll.

  Exit codes
    0  ok
    1  runtime failure; or --port matched no row (--once, --json), as grep and lsof do
    2  bad flags (one line on stderr says why)
`;
