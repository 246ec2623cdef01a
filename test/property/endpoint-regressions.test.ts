import {describe, expect, it} from 'vitest';
import {parseEngineAddress} from '../../source/engine/endpoint.js';

describe('engine addresses: regressions the properties found', () => {
  it("keeps an explicit :80 (URL drops it as http's default; it read as 2375)", () => {
    expect(parseEngineAddress('tcp://127.0.0.1:80', 'DOCKER_HOST')).toMatchObject({
      port: 80,
      address: 'tcp://127.0.0.1:80',
    });
    expect(parseEngineAddress('tcp://[::1]:080', 'x')).toMatchObject({port: 80});
    expect(parseEngineAddress('https://engine:80', 'x')).toMatchObject({port: 80});
    expect(parseEngineAddress('tcp://engine:443', 'x')).toMatchObject({port: 443});
    expect(parseEngineAddress('https://engine', 'x')).toMatchObject({port: 2376});
    expect(parseEngineAddress('tcp://engine', 'x')).toMatchObject({port: 2375});
  });
});
