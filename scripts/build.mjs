// `npm run build`: compile to dist/ and copy the files the code reads at run time next to it.
// Production runs the compiled JavaScript: the TypeScript loader costs ~40 MB of memory and start-up time.
import { execFileSync } from 'node:child_process';
import { cpSync, rmSync } from 'node:fs';

const root = new URL('..', import.meta.url);
rmSync(new URL('dist', root), { recursive: true, force: true });
execFileSync(process.execPath, [new URL('node_modules/typescript/bin/tsc', root).pathname, '-p', 'tsconfig.build.json'], { cwd: root, stdio: 'inherit' });
for (const dir of ['config', 'src/admin/assets']) cpSync(new URL(dir, root), new URL(`dist/${dir}`, root), { recursive: true });
