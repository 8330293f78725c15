// A scratch folder per test file, removed when the file's tests end, and fresh subfolders in it.
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';

/** Registers the file's scratch folder (prefix names it) and returns freshDir(name): a new, empty subfolder. */
export function scratchFolders(prefix: string): (name: string) => string {
  let root = '';
  let caseNumber = 0;
  beforeAll(() => {
    root = mkdtempSync(join(tmpdir(), prefix));
  });
  afterAll(() => rmSync(root, { recursive: true, force: true }));
  return (name) => {
    const dir = join(root, `${name}-${caseNumber++}`);
    mkdirSync(dir, { recursive: true });
    return dir;
  };
}
