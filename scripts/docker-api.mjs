// One Docker Engine API call over a Unix socket, for the scripts (bench, soak, load fixture).
// The library has its own hardened client; the scripts need only a small, plain one.
import http from 'node:http';

/**
 * One Engine API call on a Docker socket (the lab's by default): resolves {status, json} (json null for an empty
 * body, the raw text when it is not JSON); rejects on a socket error or after `timeoutMs`.
 */
export function dockerApi(
  method,
  path,
  body,
  {socketPath = '/var/run/docker.sock', timeoutMs = 60_000} = {},
) {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const request = http.request(
      {
        socketPath,
        method,
        path,
        agent: false,
        headers: payload === undefined ? {} : {'content-type': 'application/json'},
        timeout: timeoutMs,
      },
      (response) => {
        const chunks = [];
        response.on('data', (chunk) => chunks.push(chunk));
        response.on('error', reject);
        response.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let json = null;
          try {
            json = text === '' ? null : JSON.parse(text);
          } catch {
            json = text;
          }
          resolve({status: response.statusCode, json});
        });
      },
    );
    request.on('timeout', () =>
      request.destroy(new Error(`${method} ${path}: no answer in ${timeoutMs} ms`)),
    );
    request.on('error', reject);
    request.end(payload);
  });
}
