#!/usr/bin/env node
// React and Ink choose their development or production builds from NODE_ENV when they are
// first imported; the development build re-checks everything on every render and costs the
// dashboard several times the CPU and memory. So the entry sets it, then loads the program.
process.env.NODE_ENV ??= 'production';
await import('./cli-main.js');
