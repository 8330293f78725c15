// After tsc: makes the CLI executable, and drops the source map of the generated wasm module. That file is
// four base64 string constants; its map would embed them a second time (256 KB) and map nothing worth reading.
import { chmodSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const dist = join(dirname(fileURLToPath(import.meta.url)), '..', 'dist');
chmodSync(join(dist, 'cli', 'main.js'), 0o755);
const generated = join(dist, 'backend', 'wasm-bytes.generated.js');
writeFileSync(generated, readFileSync(generated, 'utf8').replace(/\n\/\/# sourceMappingURL=\S+\s*$/, '\n'));
rmSync(`${generated}.map`, { force: true });
