/**
 * Runs Azurite's Table service in this process and exits when the process that started it is gone (even if it
 * was killed with SIGKILL and could not stop its children): no orphaned Azurite after an interrupted run.
 * Usage: node azurite-child.js <azurite table main.js> ...azurite arguments
 */
const parent = process.ppid;
const main = process.argv[2];
if (main === undefined) {
  console.error('usage: azurite-child <azurite main> [args...]');
  process.exit(2);
}
process.argv = [process.argv[0] ?? process.execPath, main, ...process.argv.slice(3)];
setInterval(() => {
  if (process.ppid !== parent) process.exit(0);
}, 1_000).unref();
// A path known only at run time: the Azurite entry point to run in this process.
// eslint-disable-next-line @typescript-eslint/no-require-imports
require(main);
