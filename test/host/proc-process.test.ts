import {describe, expect, it} from 'vitest';
import {
  parseBootTime,
  parseCmdline,
  parsePasswd,
  parseProcStat,
  parseStatusUid,
} from '../../source/host/proc-process.js';

describe('/proc/PID parsers', () => {
  it('reads stat, even with spaces and parentheses in the name', () => {
    const fields = Array.from({length: 50}, (_, index) => String(index + 3));
    fields[0] = 'S';
    fields[1] = '77';
    fields[19] = '123456';
    expect(parseProcStat(`42 (we(ird) name) ${fields.join(' ')}`)).toEqual({
      comm: 'we(ird) name',
      ppid: 77,
      startTicks: 123_456,
    });
    expect(parseProcStat('garbage')).toBeUndefined();
  });

  it('reads the real uid from status', () => {
    expect(parseStatusUid('Name:\tx\nUid:\t1001\t1002\t1003\t1004\nGid:\t5\n')).toBe(1001);
    expect(parseStatusUid('Name:\tx\n')).toBeUndefined();
  });

  it('splits cmdline on NUL and keeps empty arguments', () => {
    expect(parseCmdline('/usr/sbin/docker-proxy\0-proto\0tcp\0\0')).toEqual([
      '/usr/sbin/docker-proxy',
      '-proto',
      'tcp',
      '',
    ]);
    expect(parseCmdline('')).toEqual([]);
  });

  it('reads btime', () => {
    expect(parseBootTime('cpu 1 2 3\nbtime 1795870000\nprocesses 5\n')).toBe(1_795_870_000);
  });

  it('reads passwd, first entry of a uid winning, junk skipped', () => {
    const users = parsePasswd(
      'root:x:0:0:root:/root:/bin/bash\n# comment\nbroken\nndlab:x:1001:1001::/home/ndlab:/bin/sh\ntoor:x:0:0::/:/bin/sh\n',
    );
    expect(users.get(0)).toEqual({name: 'root', gid: 0, home: '/root'});
    expect(users.get(1001)).toEqual({name: 'ndlab', gid: 1001, home: '/home/ndlab'});
    expect(users.size).toBe(2);
  });
});
