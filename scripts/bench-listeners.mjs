// A helper of bench-tui.mjs: listens on COUNT loopback TCP ports from BASE (argv[2], argv[3]),
// so nanodock-top has that many more rows; prints "ready" once all listen, then idles until
// killed. Nothing ever connects to them.
import net from 'node:net';

const base = Number(process.argv[2]);
const count = Number(process.argv[3]);
if (!Number.isInteger(base) || !Number.isInteger(count) || count < 1 || base + count > 65_536) {
  process.stderr.write('usage: bench-listeners.mjs BASE COUNT\n');
  process.exit(2);
}
for (let port = base; port < base + count; port++) {
  await new Promise((resolve, reject) => {
    const server = net.createServer((socket) => socket.destroy());
    server.once('error', reject);
    server.listen(port, '127.0.0.1', resolve);
  });
}
process.stdout.write('ready\n');
setInterval(() => {}, 2 ** 30);
