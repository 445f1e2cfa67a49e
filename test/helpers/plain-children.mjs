/**
 * Loaded into every test process (`node-arg` in .taprc): the processes a test starts (`dew`, the
 * daemon, sshd, openssl…) run as a user runs them, without tap's coverage bookkeeping.
 *
 * tap always loads @tapjs/processinfo into a test process, and processinfo hooks child_process
 * (through process-on-spawn, whose only user it is) to put itself into NODE_OPTIONS of every
 * child, whatever env the test passed. In each `node` child that costs an off-thread module
 * loader, source maps turned on and a JSON file in .tap/processinfo: about 0.35 s of CPU per
 * `dew` invocation, roughly three times what the command itself costs, and the suite starts
 * hundreds. It serves coverage and `tap --changed`, neither of which the suite uses
 * (.taprc: disable-coverage). The test process itself keeps processinfo.
 */
const spawnHooks = globalThis[Symbol.for('process-on-spawn@*:singletonId')];
if (spawnHooks) spawnHooks.listeners.length = 0;

const options = (process.env.NODE_OPTIONS ?? '').replace(/"?--(?:import|loader|experimental-loader)=[^\s"]*@tapjs\/processinfo[^\s"]*"?/g, '').trim();
if (options) process.env.NODE_OPTIONS = options;
else delete process.env.NODE_OPTIONS;
