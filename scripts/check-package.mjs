// Checks the package as users get it: packs the current build (run `npm run build` first), installs the
// tarball into a fresh project in a temporary folder, and there
//   (a) imports it and runs a tiny fit (test/package/smoke.mjs) in Node 20, 22 and 24, Deno and Bun, loading
//       the shipped digits too (see nodeBinary for where each Node comes from); Deno runs with --no-prompt and only the permissions each operation is documented to need,
//       so any other permission request fails the check, and SIMDNET_THREADS is ignored without --allow-env;
//   (b) type-checks test/package/consumer.ts with strict, skipLibCheck false, lib ES2022 and no @types/node,
//       under moduleResolution nodenext and bundler;
//   (c) runs publint and @arethetypeswrong/cli (ESM-only profile: the package has no CommonJS entry);
//   (d) measures the consumer's node_modules (limit 5 MB) and checks that every source map resolves
//       (sourcesContent embedded) and that a stack trace under --enable-source-maps names the .ts sources.
// Prints one line per check and exits 1 if any failed. Needs only Node >= 20 and npm (and network access to
// the npm registry on the first run, for the Node 22/24 binaries).
import { execFileSync, spawn } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const fixtures = join(root, 'test', 'package');
const rootBin = (name) => join(root, 'node_modules', '.bin', name);
const MAX_INSTALLED_BYTES = 5_000_000;
const TIME_LIMIT_MS = 180_000;
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';

let failures = 0;
function report(ok, name, detail) {
  if (!ok) failures++;
  console.log(`${ok ? 'PASS' : 'FAIL'} ${name}: ${detail}`);
}

/** Runs a command to completion; never throws. */
function run(command, args, { cwd, env = {} } = {}) {
  return new Promise((resolve) => {
    const started = performance.now();
    const child = spawn(command, args, { cwd, env: { ...process.env, NO_COLOR: '1', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk) => (output += chunk));
    child.stderr.on('data', (chunk) => (output += chunk));
    const timer = setTimeout(() => child.kill('SIGKILL'), TIME_LIMIT_MS);
    child.on('error', (error) => {
      clearTimeout(timer);
      resolve({ code: -1, output: `${output}${error.message}`, seconds: 0 });
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code: code ?? signal, output, seconds: (performance.now() - started) / 1000 });
    });
  });
}

const indent = (text) => text.trimEnd().replace(/^/gm, '    | ');
/** The "key: value" lines smoke.mjs prints. */
const facts = (output) => Object.fromEntries([...output.matchAll(/^([a-z ]+): (.*)$/gm)].map((m) => [m[1], m[2]]));

function bytesUnder(dir) {
  let total = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) total += bytesUnder(path);
    else if (entry.isFile()) total += statSync(path).size;
  }
  return total;
}

function filesUnder(dir, suffix) {
  return readdirSync(dir, { recursive: true })
    .map(String)
    .filter((name) => name.endsWith(suffix))
    .map((name) => join(dir, name));
}

const majorOf = (binary) => {
  try {
    return Number(/^v(\d+)\./.exec(execFileSync(binary, ['--version'], { encoding: 'utf8' }))?.[1]);
  } catch {
    return NaN;
  }
};

/**
 * A Node binary of this major version: the Node running this script, else one from the `node` npm package
 * (the root devDependencies' node / node20 / node22 when present, else test/package/runtimes' node22 /
 * node24, installed there on first use). Each candidate's --version is checked.
 */
async function nodeBinary(major) {
  const nested = join(fixtures, 'runtimes', 'node_modules');
  const candidates = [
    process.execPath,
    ...['node', `node${major}`].map((name) => join(root, 'node_modules', name, 'bin', 'node')),
    join(nested, `node${major}`, 'bin', 'node'),
  ];
  const found = () => candidates.find((binary) => existsSync(binary) && majorOf(binary) === major);
  if (found() === undefined && existsSync(join(fixtures, 'runtimes', 'package.json')) && !existsSync(nested)) {
    const ci = await run(npm, ['ci', '--no-audit', '--no-fund'], { cwd: join(fixtures, 'runtimes') });
    if (ci.code !== 0) report(false, 'Node binaries', `npm ci in test/package/runtimes failed\n${indent(ci.output)}`);
  }
  return found() ?? `(no Node ${major} binary found)`;
}

if (!existsSync(join(root, 'dist', 'index.js'))) {
  console.error('check-package: no dist/ to pack: run npm run build first');
  process.exit(1);
}

// --- Pack and install ------------------------------------------------------------------------------------------
const work = mkdtempSync(join(tmpdir(), 'simdnet-package-'));
const consumer = join(work, 'consumer');
try {
  const [packed] = JSON.parse(execFileSync(npm, ['pack', '--ignore-scripts', '--json', '--pack-destination', work], { cwd: root, encoding: 'utf8' }));
  const tarball = join(work, packed.filename);
  report(true, 'npm pack', `${packed.filename}: ${packed.entryCount} files, ${(packed.size / 1e6).toFixed(2)} MB packed, ${(packed.unpackedSize / 1e6).toFixed(2)} MB unpacked`);

  cpSync(fixtures, consumer, { recursive: true, filter: (src) => !src.startsWith(join(fixtures, 'runtimes')) });
  writeFileSync(join(consumer, 'package.json'), JSON.stringify({ name: 'simdnet-consumer', private: true, type: 'module' }, null, 2));
  const install = await run(npm, ['install', '--no-audit', '--no-fund', tarball], { cwd: consumer });
  report(install.code === 0, 'npm install <tarball>', install.code === 0 ? `into a fresh project in ${install.seconds.toFixed(1)} s` : `exit ${install.code}\n${indent(install.output)}`);
  if (install.code !== 0) throw new Error('the tarball did not install');
  const installed = join(consumer, 'node_modules', 'simdnet');

  // --- (d) Size and source maps ------------------------------------------------------------------------------
  const size = bytesUnder(join(consumer, 'node_modules'));
  const packages = readdirSync(join(consumer, 'node_modules')).filter((name) => !name.startsWith('.'));
  report(size < MAX_INSTALLED_BYTES, 'installed size', `the consumer's node_modules holds ${(size / 1e6).toFixed(2)} MB (${size} bytes; limit ${MAX_INSTALLED_BYTES / 1e6} MB) in ${packages.length} package(s): ${packages.join(', ')}`);

  const maps = filesUnder(join(installed, 'dist'), '.js.map');
  const unresolved = maps.filter((file) => {
    const map = JSON.parse(readFileSync(file, 'utf8'));
    return map.sources.some((source, i) => typeof map.sourcesContent?.[i] !== 'string' && !existsSync(join(dirname(file), source)));
  });
  const mapless = filesUnder(join(installed, 'dist'), '.js').filter((file) => /\/\/# sourceMappingURL=(\S+)/.test(readFileSync(file, 'utf8')) && !existsSync(`${file}.map`));
  report(maps.length > 0 && unresolved.length === 0 && mapless.length === 0, 'source maps', unresolved.length + mapless.length === 0
    ? `all ${maps.length} maps embed their sources`
    : `unresolved: ${[...unresolved, ...mapless].map((f) => relative(installed, f)).join(', ')}`);

  const traced = await run(process.execPath, ['--enable-source-maps', 'sourcemap.mjs'], { cwd: consumer });
  const frame = traced.output.match(/\(([^()\s]*simdnet[/\\]src[/\\][^()\s]+\.ts):(\d+):\d+\)/);
  let line = '';
  if (frame) {
    const source = relative(join(installed, 'src'), frame[1]).replaceAll('\\', '/');
    const map = JSON.parse(readFileSync(join(installed, 'dist', source.replace(/\.ts$/, '.js.map')), 'utf8'));
    line = map.sourcesContent[map.sources.findIndex((s) => s.endsWith(source))].split('\n')[Number(frame[2]) - 1].trim();
  }
  report(/Error/.test(line), 'stack trace under --enable-source-maps', frame ? `first frame ${relative(consumer, frame[1])}:${frame[2]}: ${line}` : `no simdnet .ts frame in\n${indent(traced.output)}`);

  // --- (a) Runtimes ------------------------------------------------------------------------------------------
  const node = { 20: await nodeBinary(20), 22: await nodeBinary(22), 24: await nodeBinary(24) };
  const cores = availableParallelism();
  const dataDir = join('node_modules', 'simdnet', 'data', 'digits');
  const saveDir = join(work, 'saved-model');
  const checks = [
    { name: 'node 20', command: node[20], args: ['smoke.mjs', '--digits'], build: 'plain' },
    { name: 'node 22', command: node[22], args: ['smoke.mjs', '--digits'], build: 'relaxed' },
    { name: 'node 24', command: node[24], args: ['smoke.mjs', '--digits'], build: 'relaxed' },
    { name: 'bun', command: rootBin('bun'), args: ['smoke.mjs', '--digits'], build: 'plain' },
    // Deno: no permission flags for the model code; SIMDNET_THREADS is set but unreadable, so the default holds.
    { name: 'deno, no permissions', command: rootBin('deno'), args: ['run', '--no-prompt', 'smoke.mjs'], env: { SIMDNET_THREADS: '1' }, threads: cores, build: 'relaxed' },
    { name: 'deno --allow-env=SIMDNET_THREADS', command: rootBin('deno'), args: ['run', '--no-prompt', '--allow-env=SIMDNET_THREADS', 'smoke.mjs'], env: { SIMDNET_THREADS: '1' }, threads: 1, build: 'relaxed' },
    { name: 'deno, digits with -R', command: rootBin('deno'), args: ['run', '--no-prompt', `--allow-read=${dataDir}`, 'smoke.mjs', '--digits'], build: 'relaxed' },
    { name: 'deno, save/load with -R -W', command: rootBin('deno'), args: ['run', '--no-prompt', `--allow-read=${saveDir}`, `--allow-write=${saveDir}`, 'smoke.mjs', '--save', saveDir], build: 'relaxed' },
    // Reading the digits without read access is an error (never a prompt), naming the permission.
    { name: 'deno, digits without -R', command: rootBin('deno'), args: ['run', '--no-prompt', 'smoke.mjs', '--digits'], build: 'relaxed', fails: /NotCapable|Requires read access/ },
  ];
  for (const check of checks) {
    const result = await run(check.command, check.args, { cwd: consumer, env: check.env });
    const got = facts(result.output);
    const problems = [];
    if (check.fails) {
      if (result.code === 0) problems.push('exited 0');
      if (!check.fails.test(result.output)) problems.push(`no error matching ${check.fails}`);
    } else {
      if (result.code !== 0) problems.push(`exited with ${result.code} after ${result.seconds.toFixed(1)} s`);
      if (got.result !== 'ok') problems.push('no success line');
      if (!got.build?.startsWith(check.build)) problems.push(`loaded the ${got.build} build, expected ${check.build}`);
      if (check.threads !== undefined && Number(got.threads) !== check.threads) problems.push(`getThreads() ${got.threads}, expected ${check.threads}`);
    }
    const summary = check.fails
      ? `fails as documented: ${(result.output.match(/(NotCapable|Requires read access)[^\n]*/) ?? [''])[0].slice(0, 160)}`
      : `${got.runtime}; import ${got['import ms']} ms; ${got.build}; threads ${got.threads}; ${got.fit}${got.digits ? `; digits ${got.digits}` : ''}${got.save ? `; ${got.save}` : ''}; ${result.seconds.toFixed(1)} s`;
    report(problems.length === 0, `runtime ${check.name}`, problems.length === 0 ? summary : `${problems.join('; ')}\n${indent(result.output)}`);
  }

  // Import time: the median of 5 fresh processes per Node version (one run is noisy on a shared machine).
  const IMPORT_RUNS = 5;
  const importScript = "const t = performance.now(); await import('simdnet'); console.log((performance.now() - t).toFixed(1));";
  for (const major of [20, 22, 24]) {
    const times = [];
    for (let i = 0; i < IMPORT_RUNS; i++) {
      const r = await run(node[major], ['--input-type=module', '-e', importScript], { cwd: consumer });
      if (r.code === 0) times.push(Number(r.output.trim()));
    }
    times.sort((a, b) => a - b);
    report(times.length === IMPORT_RUNS, `import time, node ${major}`, times.length === IMPORT_RUNS
      ? `median ${times[IMPORT_RUNS >> 1]} ms of ${IMPORT_RUNS} fresh processes (${times.join(', ')} ms; wasm compiled and instantiated at import)`
      : `only ${times.length} of ${IMPORT_RUNS} imports succeeded`);
  }

  // --- (b) TypeScript consumer -----------------------------------------------------------------------------
  const base = { target: 'ES2022', lib: ['ES2022'], types: [], strict: true, skipLibCheck: false, noEmit: true };
  const variants = {
    nodenext: { ...base, module: 'NodeNext', moduleResolution: 'NodeNext' },
    bundler: { ...base, module: 'ESNext', moduleResolution: 'Bundler' },
  };
  for (const [name, compilerOptions] of Object.entries(variants)) {
    const config = `tsconfig.${name}.json`;
    writeFileSync(join(consumer, config), JSON.stringify({ compilerOptions, files: ['consumer.ts'] }, null, 2));
    const tsc = await run(process.execPath, [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', config], { cwd: consumer });
    report(tsc.code === 0, `typescript consumer (${name})`, tsc.code === 0 ? 'strict, skipLibCheck false, lib ES2022, no @types/node: compiles' : `\n${indent(tsc.output)}`);
  }
  const declarations = filesUnder(join(installed, 'dist'), '.d.ts');
  const anyTypes = declarations.filter((file) => /\bany\b/.test(readFileSync(file, 'utf8').replace(/\/\*[\s\S]*?\*\/|\/\/.*$/gm, '')));
  report(anyTypes.length === 0, 'declarations without any', anyTypes.length === 0 ? `${declarations.length} .d.ts files` : anyTypes.map((f) => relative(installed, f)).join(', '));

  // --- (c) Linters -----------------------------------------------------------------------------------------
  const publint = await run(rootBin('publint'), ['run', tarball, '--strict'], { cwd: work });
  report(publint.code === 0 && /All good/.test(publint.output), 'publint --strict', publint.code === 0 ? (publint.output.match(/All good!?/)?.[0] ?? publint.output.trim()) : `\n${indent(publint.output)}`);
  const attw = await run(rootBin('attw'), [tarball, '--profile', 'esm-only', '--format', 'ascii'], { cwd: work });
  report(attw.code === 0, 'attw --profile esm-only', attw.code === 0 ? 'no problems (CommonJS require is out of scope: the package is ESM-only)' : `\n${indent(attw.output)}`);

} catch (error) {
  report(false, 'check-package', error.stack);
} finally {
  rmSync(work, { recursive: true, force: true });
}
console.log(failures === 0 ? 'package: all checks passed' : `package: ${failures} check(s) failed`);
process.exitCode = failures === 0 ? 0 : 1;
