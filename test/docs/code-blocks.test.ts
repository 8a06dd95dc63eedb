/**
 * Docs that compile: every ```ts block of README.md and docs/*.md is type-checked under
 * `strict`, as its own module, against the package's source (`resource-guard`,
 * `resource-guard/webhooks`, `resource-guard/redis`) and the real Express types. A small
 * prelude declares what snippets may use without defining: `app` (an Express app), `guard` (a
 * Guard) and `handler` (a RequestHandler); anything else a block uses, it imports or declares.
 * A block that only shows a shape (an interface excerpt, an options listing with
 * placeholders) is marked ```ts shape and is not compiled. A failure names the file and line.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const repo = resolve(import.meta.dirname, '../..');

/** One fenced block: where it starts in its file, and its text. */
interface Block {
  file: string;
  /** 1-based line of the block's first code line. */
  line: number;
  code: string;
}

/** ```ts (or ```typescript) blocks; ```ts shape and every other language are left out. */
export function extractBlocks(file: string, markdown: string): Block[] {
  const blocks: Block[] = [];
  const lines = markdown.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const open = /^(\s*)(`{3,}|~{3,})\s*(\S*)(.*)$/.exec(lines[i]!);
    if (open === null) continue;
    const [, indent, fence, lang, rest] = open as unknown as [string, string, string, string, string];
    // The closing fence: the same character, at least as long, nothing else on the line.
    const close = lines.findIndex((l, j) => j > i && new RegExp(`^\\s*\\${fence[0]}{${fence.length},}\\s*$`).test(l));
    const end = close === -1 ? lines.length : close;
    const info = rest.trim().split(/\s+/).filter(Boolean);
    if ((lang === 'ts' || lang === 'typescript') && !info.includes('shape')) {
      blocks.push({ file, line: i + 2, code: lines.slice(i + 1, end).map((l) => (l.startsWith(indent) ? l.slice(indent.length) : l)).join('\n') });
    }
    i = end;
  }
  return blocks;
}

const prelude = (entry: string) => `
declare const app: import('express').Express;
declare const guard: import('${entry}').Guard;
declare const handler: import('express').RequestHandler;
`;

/**
 * A block that imports `resource-guard/no-augmentation` shows a program without resource-guard's
 * global `req.auth` type (beside express-oauth2-jwt-bearer): it gets a program of its own, as
 * it would be in a real project. Every other block shares one.
 */
const standsAlone = (block: Block) => block.code.includes("from 'resource-guard/no-augmentation'");

const markdownFiles = ['README.md', ...readdirSync(join(repo, 'docs')).filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`)];
const blocks = markdownFiles.flatMap((file) => extractBlocks(file, readFileSync(join(repo, file), 'utf8')));

/** Virtual source files beside the repository's own, so `express` resolves from its node_modules. */
const virtualDir = join(repo, '.docs-check');
const nameOf = (block: Block) => join(virtualDir, `${block.file.replace(/[/.]/g, '_')}_L${block.line}.ts`);
const preludeName = join(virtualDir, 'prelude.d.ts');

function compile(): Map<string, string[]> {
  const diagnostics = compileProgram(blocks.filter((b) => !standsAlone(b)), 'resource-guard');
  for (const block of blocks.filter(standsAlone)) {
    for (const [file, list] of compileProgram([block], 'resource-guard/no-augmentation')) diagnostics.set(file, list);
  }
  return diagnostics;
}

function compileProgram(group: Block[], entry: string): Map<string, string[]> {
  const sources = new Map<string, string>([[preludeName, prelude(entry)]]);
  // `export {}` makes every block a module of its own: its names never meet another block's.
  for (const block of group) sources.set(nameOf(block), `${block.code}\nexport {};\n`);
  const options: ts.CompilerOptions = {
    strict: true,
    target: ts.ScriptTarget.ES2023,
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    lib: ['lib.es2023.d.ts'],
    types: ['node'],
    noEmit: true,
    skipLibCheck: true,
    allowImportingTsExtensions: true,
    baseUrl: repo,
    paths: {
      'resource-guard': ['./src/index.ts'],
      'resource-guard/webhooks': ['./src/webhooks/index.ts'],
      'resource-guard/redis': ['./src/store/redis.ts'],
      'resource-guard/no-augmentation': ['./src/api.ts'],
    },
  };
  const host = ts.createCompilerHost(options);
  const { getSourceFile, fileExists, readFile } = host;
  host.getSourceFile = (name, version, ...rest) => {
    const text = sources.get(name);
    return text !== undefined ? ts.createSourceFile(name, text, version) : getSourceFile.call(host, name, version, ...rest);
  };
  host.fileExists = (name) => sources.has(name) || fileExists.call(host, name);
  host.readFile = (name) => sources.get(name) ?? readFile.call(host, name);
  const program = ts.createProgram([...sources.keys()], options, host);
  const byFile = new Map<string, string[]>();
  for (const diagnostic of ts.getPreEmitDiagnostics(program)) {
    const name = diagnostic.file?.fileName ?? '(global)';
    const where = diagnostic.file === undefined || diagnostic.start === undefined ? undefined : diagnostic.file.getLineAndCharacterOfPosition(diagnostic.start);
    const list = byFile.get(name) ?? [];
    list.push(`${where === undefined ? '' : `+${where.line}:${where.character + 1} `}TS${diagnostic.code}: ${ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n')}`);
    byFile.set(name, list);
  }
  return byFile;
}

describe('the block extractor', () => {
  it('takes ts and typescript blocks, skips ts shape and other languages, and knows their lines', () => {
    const md = ['# t', '```ts', 'const a = 1;', '```', '```ts shape', 'interface X { a: string }', '```', '```sh', 'npm i', '```', '```typescript', 'const b = 2;', '```'].join('\n');
    expect(extractBlocks('x.md', md)).toEqual([
      { file: 'x.md', line: 3, code: 'const a = 1;' },
      { file: 'x.md', line: 12, code: 'const b = 2;' },
    ]);
  });
});

describe('docs code blocks compile under strict', () => {
  const diagnostics = compile();

  it('the prelude and the setup compile', () => {
    expect(diagnostics.get(preludeName) ?? []).toEqual([]);
    expect(diagnostics.get('(global)') ?? []).toEqual([]);
  });

  it('finds the blocks of README.md and docs/', () => {
    expect(blocks.filter((b) => b.file === 'README.md').length).toBeGreaterThan(3);
    expect(new Set(blocks.map((b) => b.file)).size).toBeGreaterThan(2);
  });

  it.each(blocks.map((block) => ({ where: `${block.file}:${block.line}`, block })))('$where', ({ block }) => {
    // Diagnostic lines are relative to the block: +0 is the block's first line, `where`.
    const errors = (diagnostics.get(nameOf(block)) ?? []).map((d) => d.replace(/^\+(\d+):/, (_, l: string) => `${block.file}:${block.line + Number(l)}:`));
    expect(errors).toEqual([]);
  });
});
