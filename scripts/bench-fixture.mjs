// A host fixture for the host-scan benchmark: 20 processes holding 100 listening sockets each
// on 127.0.0.1 (nothing ever connects to them) and 300 idle processes. Prints `ready` once all
// are up; everything dies with it (SIGTERM or stdin closing).
import {spawn} from 'node:child_process';

const listenerScript = `
const net = require('node:net');
let open = 0;
for (let index = 0; index < 100; index++) {
  net.createServer().listen(0, '127.0.0.1', () => { if (++open === 100) process.stdout.write('ready\\n'); });
}
process.stdin.resume();
process.stdin.on('end', () => process.exit(0));
`;

const children = [];
const ready = [];
for (let index = 0; index < 20; index++) {
  const child = spawn(process.execPath, ['-e', listenerScript], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  children.push(child);
  ready.push(new Promise((resolve) => child.stdout.once('data', resolve)));
}
for (let index = 0; index < 300; index++) {
  children.push(spawn('sleep', ['3600'], {stdio: 'ignore'}));
}
const stop = () => {
  for (const child of children) {
    child.kill('SIGKILL');
  }
  process.exit(0);
};
process.on('SIGTERM', stop);
process.stdin.resume();
process.stdin.on('end', stop);
await Promise.all(ready);
process.stdout.write('ready\n');
