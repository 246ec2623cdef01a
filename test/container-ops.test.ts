import {describe, expect, it} from 'vitest';
import {
  type ContainerRef,
  containerLogsOf,
  containerStatsOf,
  isContainerNotFound,
  restartContainer,
  restartContainerOf,
} from '../source/container-ops.js';
import type {ContainerLogStream} from '../source/engine/log-stream.js';
import {EngineStatusError} from '../source/errors/engine-status-error.js';

/** The rules the actions share with stop, checked before anything is run or sent. */

async function failureOf(stream: ContainerLogStream): Promise<unknown> {
  try {
    for await (const _line of stream) {
      // Nothing is expected.
    }
  } catch (error) {
    return error;
  }
  return null;
}

const fullId = 'a'.repeat(64);
const rootless = (id: string, user = 'nd-no-such-user'): ContainerRef => ({
  id,
  name: 'web',
  endpoint: `rootless:${user}`,
  engine: 'podman',
});

describe('the logs, restart and stats actions refuse before acting', () => {
  it('an id that cannot go into a request path: refused as not-found, nothing sent', async () => {
    const error = await failureOf(
      containerLogsOf({id: '../x', name: 'x', endpoint: 'unix:///nowhere.sock', engine: 'docker'}),
    );
    expect(String(error)).toMatch(/refused container id/);
    expect(await restartContainer('a b')).toMatchObject({outcome: 'not-found', endpoint: null});
    expect((await restartContainer('a b')).error?.message).toMatch(/refused/);
  });

  it("a rootless container without a full id: the owner's podman is never run", async () => {
    const short = rootless('abc123');
    expect(String(await failureOf(containerLogsOf(short)))).toMatch(/no full container id/);
    const restart = await restartContainerOf(short);
    expect(restart).toMatchObject({outcome: 'failed', endpoint: 'rootless:nd-no-such-user'});
    expect(restart.error?.message).toMatch(/no full container id/);
    expect((await containerStatsOf(short)).error?.message).toMatch(/no full container id/);
  });

  it('a rootless owner missing from /etc/passwd: refused with whose it is', async () => {
    const error = await failureOf(containerLogsOf(rootless(fullId)));
    expect(String(error)).toMatch(/belongs to user nd-no-such-user, who is not in \/etc\/passwd/);
    expect(isContainerNotFound(error)).toBe(false);
    expect((await restartContainerOf(rootless(fullId))).outcome).toBe('failed');
  });

  it('an endpoint no profile knows: failed, naming it', async () => {
    const odd: ContainerRef = {id: fullId, name: 'x', endpoint: 'fd://3', engine: 'docker'};
    expect((await restartContainerOf(odd)).error?.message).toMatch(
      /no engine profile knows fd:\/\/3/,
    );
    expect(String(await failureOf(containerLogsOf(odd)))).toMatch(/no engine profile knows/);
  });

  it('isContainerNotFound: an EngineStatusError 404 only', () => {
    expect(isContainerNotFound(new EngineStatusError('x', 404, undefined))).toBe(true);
    expect(isContainerNotFound(new EngineStatusError('x', 500, undefined))).toBe(false);
    expect(isContainerNotFound(new Error('404'))).toBe(false);
  });
});
