#!/usr/bin/env node
import {setFlagsFromString} from 'node:v8';

// React and Ink choose their development or production builds from NODE_ENV when they are
// first imported; the development build re-checks everything on every render and costs the
// dashboard several times the CPU and memory. So the entry sets it, then loads the program.
process.env.NODE_ENV ??= 'production';

// V8's memory reducer shrinks the heap once a program goes idle after its start: for the
// dashboard 10 to 60 s in, with compacting collections that stop the event loop for 15 to
// 30 ms on a small VM, the only stalls over 16 ms its idle refreshes still had (README,
// Performance). The program keeps its startup heap instead: about 30 MB more RSS, inside the
// RSS budget. The reducer reads this delay each time it schedules itself, and it schedules
// itself while modules load, so this comes first.
setFlagsFromString('--gc-memory-reducer-start-delay-ms=2000000000');

await import('./cli-main.js');
