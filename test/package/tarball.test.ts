/**
 * A complete npm package: `npm pack --dry-run --json` lists exactly the intended files (the
 * build of every src/ file as .js, .d.ts and .d.cts, README, LICENSE, CHANGELOG, package.json:
 * no source maps, no tests, nothing stale), every path package.json names is in it, npm would
 * publish package.json without correcting it, and the README's links work on the npm page.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const repo = resolve(import.meta.dirname, '../..');
const REPOSITORY = 'https://github.com/resource-guard/resource-guard';
const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !/^npm_|^init_cwd$/i.test(name)));

interface Manifest {
  version: string;
  license: string;
  main: string;
  types: string;
  bin: Record<string, string>;
  engines: { node: string };
  exports: Record<string, string | Record<string, Record<string, string>>>;
  typesVersions: Record<string, Record<string, string[]>>;
  repository: { type: string; url: string };
  homepage: string;
  bugs: { url: string };
  peerDependencies: Record<string, string>;
  peerDependenciesMeta: Record<string, { optional: boolean }>;
}
const manifest = JSON.parse(readFileSync(join(repo, 'package.json'), 'utf8')) as Manifest;

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    return entry.isDirectory() ? sourceFiles(path) : entry.name.endsWith('.ts') ? [relative(join(repo, 'src'), path)] : [];
  });
}

function packedFiles(): string[] {
  const out = execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: repo, env, encoding: 'utf8' });
  return (JSON.parse(out) as Array<{ files: Array<{ path: string }> }>)[0]!.files.map((f) => f.path).sort();
}

describe('the tarball', () => {
  const files = packedFiles();

  it('holds exactly the build of src/ (.js, .d.ts, .d.cts), README, LICENSE, CHANGELOG and package.json', () => {
    const built = sourceFiles(join(repo, 'src')).flatMap((file) => {
      const base = `dist/${file.replace(/\.ts$/, '')}`;
      return [`${base}.js`, `${base}.d.ts`, `${base}.d.cts`];
    });
    expect(files).toEqual(['CHANGELOG.md', 'LICENSE', 'README.md', 'package.json', ...built].sort());
  });

  it('ships no source maps, and no file refers to one', () => {
    expect(files.filter((f) => f.endsWith('.map'))).toEqual([]);
    const referring = files.filter((f) => /\.(c?js|d\.c?ts)$/.test(f) && readFileSync(join(repo, f), 'utf8').includes('sourceMappingURL'));
    expect(referring).toEqual([]);
  });

  it('every path package.json names is in it: main, types, bin, exports, typesVersions', () => {
    const named = [manifest.main, manifest.types, ...Object.values(manifest.bin)];
    for (const [subpath, target] of Object.entries(manifest.exports)) {
      if (typeof target === 'string') named.push(target);
      else for (const condition of Object.values(target)) named.push(...Object.values(condition));
      if (subpath !== '.' && subpath !== './package.json') {
        // module: commonjs with the node10 resolution ignores exports: typesVersions must map every subpath.
        expect(manifest.typesVersions['*']![subpath.slice(2)], `typesVersions for ${subpath}`).toBeDefined();
      }
    }
    for (const targets of Object.values(manifest.typesVersions['*']!)) named.push(...targets);
    for (const path of named) expect(files, path).toContain(path.replace(/^\.\//, ''));
  });

  it('the bin is an executable script with a shebang, written as npm publishes it', () => {
    expect(manifest.bin).toEqual({ 'resource-guard': 'dist/cli/doctor.js' });
    expect(readFileSync(join(repo, manifest.bin['resource-guard']!), 'utf8').split('\n')[0]).toBe('#!/usr/bin/env node');
  });

  it('npm would publish package.json as it is (`npm pkg fix` changes nothing)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'rg-pkg-fix-'));
    try {
      const original = readFileSync(join(repo, 'package.json'), 'utf8');
      writeFileSync(join(dir, 'package.json'), original);
      execFileSync('npm', ['pkg', 'fix'], { cwd: dir, env, stdio: 'pipe' });
      expect(JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'))).toEqual(JSON.parse(original));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('package metadata', () => {
  it('MIT, with the license text, and where the project lives', () => {
    expect(manifest.license).toBe('MIT');
    const license = readFileSync(join(repo, 'LICENSE'), 'utf8');
    expect(license.split('\n')[0]).toBe('MIT License');
    expect(license).toContain('Copyright (c) 2026 resource-guard contributors');
    expect(license).toContain('THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND');
    expect(manifest.repository).toEqual({ type: 'git', url: `git+${REPOSITORY}.git` });
    expect(manifest.homepage).toBe(`${REPOSITORY}#readme`);
    expect(manifest.bugs).toEqual({ url: `${REPOSITORY}/issues` });
  });

  it('Express and its types are optional peers: guard.verify() needs neither', () => {
    expect(manifest.peerDependencies).toMatchObject({ express: expect.any(String), '@types/express': expect.any(String) });
    expect(manifest.peerDependenciesMeta).toEqual({ express: { optional: true }, '@types/express': { optional: true } });
  });

  it('CHANGELOG.md follows Keep a Changelog: Unreleased, then this version, with their links', () => {
    const changelog = readFileSync(join(repo, 'CHANGELOG.md'), 'utf8');
    const headings = [...changelog.matchAll(/^## \[([^\]]+)\](.*)$/gm)].map((m) => [m[1], m[2]!.trim()]);
    expect(headings[0]).toEqual(['Unreleased', '']);
    expect(headings[1]![0]).toBe(manifest.version);
    expect(headings[1]![1]).toMatch(/^- \d{4}-\d{2}-\d{2}$/);
    expect(changelog).toContain('[Keep a Changelog](https://keepachangelog.com/');
    expect(changelog).toContain(`[Unreleased]: ${REPOSITORY}/compare/v${manifest.version}...HEAD`);
    expect(changelog).toContain(`[${manifest.version}]: ${REPOSITORY}/releases/tag/v${manifest.version}`);
  });
});

describe('README on the npm page', () => {
  const readme = readFileSync(join(repo, 'README.md'), 'utf8');
  const links = [...readme.matchAll(/\]\(([^)\s]+)\)/g)].map((m) => m[1]!);

  it('has an Install section: the command, Node and Express versions, ESM and CommonJS', () => {
    const install = readme.slice(readme.indexOf('## Install'), readme.indexOf('\n## ', readme.indexOf('## Install') + 1));
    expect(install).toContain('npm install resource-guard express');
    expect(install).toContain(`Node.js ${manifest.engines.node.replace('>=', '')} or later`);
    expect(install).toMatch(/Express 4\.21\+ or 5/);
    expect(install).toMatch(/ESM or CommonJS/);
    expect(install).toContain("require('resource-guard')");
  });

  it('links are absolute (npm does not serve the repository files) or anchors to its own headings', () => {
    expect(links.length).toBeGreaterThan(5);
    const slugs = new Set([...readme.matchAll(/^#+ (.+)$/gm)].map((m) => m[1]!.toLowerCase().replace(/[^\w\- ]/g, '').replace(/ /g, '-')));
    for (const link of links) {
      if (link.startsWith('#')) expect(slugs, link).toContain(link.slice(1));
      else expect(link, 'an absolute https link').toMatch(/^https:\/\//);
    }
  });

  it("links into this repository name files that exist on its main branch (this tree's)", () => {
    const own = links.filter((l) => l.startsWith(`${REPOSITORY}/blob/main/`));
    expect(own.length).toBeGreaterThan(3);
    for (const link of own) expect(existsSync(join(repo, link.slice(`${REPOSITORY}/blob/main/`.length).split('#')[0]!)), link).toBe(true);
  });
});
