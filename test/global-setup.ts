import {execFileSync} from 'node:child_process';

/** The CLI tests run the built program: build it once, before any test file. */
export default function setup(): void {
  execFileSync('npx', ['tsc', '-p', 'tsconfig.build.json'], {stdio: 'inherit'});
}
