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

describe('strict numbers (the two former copies differed here)', () => {
  it('skips a passwd uid that Number() would take: blank, hex, exponent, signed', () => {
    const users = parsePasswd(
      [
        'blank:x: :0::/blank:/bin/sh',
        'hex:x:0x3e9:0::/hex:/bin/sh',
        'exp:x:1e3:0::/exp:/bin/sh',
        'neg:x:-1:0::/neg:/bin/sh',
        'short:x:1005:0',
        'ok:x:1003:1003::/home/ok:/bin/sh',
      ].join('\n'),
    );
    expect([...users.entries()]).toEqual([[1003, {name: 'ok', gid: 1003, home: '/home/ok'}]]);
  });

  it('refuses a stat line whose ppid or start time is not decimal', () => {
    const fields = Array.from({length: 50}, () => '0');
    fields[0] = 'S';
    fields[1] = '';
    expect(parseProcStat(`42 (x) ${fields.join(' ')}`)).toBeUndefined();
    fields[1] = '7';
    fields[19] = '0x10';
    expect(parseProcStat(`42 (x) ${fields.join(' ')}`)).toBeUndefined();
    fields[19] = '16';
    expect(parseProcStat(`42 (x) ${fields.slice(0, 20).join(' ')}\n`)).toEqual({
      comm: 'x',
      ppid: 7,
      startTicks: 16,
    });
  });
});
