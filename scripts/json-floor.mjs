// A reference for bench-scale.mjs: the least a Node program must do to answer what
// `nanodock-top --json` answers, and nothing more. It lists /proc, reads every process's fd
// links (where a socket's owner is found, as `ss -p` also does) and reads the four socket
// tables, all on one thread, with no parsing, no join and no output. Its time beside `ss`'s
// is the floor of the `--json` goal on this machine.
import {readdirSync, readFileSync, readlinkSync} from 'node:fs';

let links = 0;
for (const entry of readdirSync('/proc')) {
  const code = entry.charCodeAt(0);
  if (code < 48 || code > 57) continue;
  const folder = `/proc/${entry}/fd/`;
  let fds;
  try {
    fds = readdirSync(folder);
  } catch {
    continue; // ended, or another user's
  }
  for (const fd of fds) {
    try {
      readlinkSync(folder + fd);
      links++;
    } catch {
      // closed meanwhile
    }
  }
}
let bytes = 0;
for (const table of ['tcp', 'tcp6', 'udp', 'udp6']) {
  try {
    bytes += readFileSync(`/proc/net/${table}`).length;
  } catch {
    // no IPv6
  }
}
if (process.argv.includes('--verbose')) {
  process.stderr.write(`${links} fd links, ${bytes} bytes of socket tables\n`);
}
