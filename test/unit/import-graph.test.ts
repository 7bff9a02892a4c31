import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { preProcessFile } from 'typescript';

/**
 * Import cycles across the project, type-only imports included: a cycle through types still ties
 * two modules into one (the linter's direction rules are in eslint.config.mjs; eslint-plugin-import-x's
 * no-cycle would skip type-only imports, so the cycle check lives here).
 */
const ROOT = resolve(__dirname, '..', '..');
const FOLDERS = ['shared', 'functions', 'client', 'local', 'cli', 'drill', 'bench', 'test', 'scripts', 'bin'];
const SOURCE = /\.(ts|cts|mts|js|cjs|mjs)$/;
const RESOLVE_SUFFIXES = ['', '.ts', '.cjs', '.js', '/index.ts'];

const sourceFiles = (folder: string): string[] =>
  readdirSync(folder, { withFileTypes: true }).flatMap((entry) => {
    const path = join(folder, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return SOURCE.test(entry.name) && !entry.name.endsWith('.d.ts') ? [path] : [];
  });

/** The project file a relative specifier names, as Node and TypeScript resolve it here (null: a package). */
const resolveRelative = (from: string, specifier: string): string | null => {
  if (!specifier.startsWith('.')) return null;
  const base = resolve(dirname(from), specifier);
  const found = RESOLVE_SUFFIXES.map((suffix) => base + suffix).find((path) => existsSync(path) && statSync(path).isFile());
  if (!found) throw new Error(`${relative(ROOT, from)}: cannot resolve ${specifier}`);
  return found;
};

/** Every project file each file imports: import and export declarations (type-only too), import(), require(). */
const importGraph = (): Map<string, string[]> => {
  const files = FOLDERS.filter((folder) => existsSync(join(ROOT, folder))).flatMap((folder) => sourceFiles(join(ROOT, folder)));
  return new Map(
    files.map((file) => {
      const { importedFiles } = preProcessFile(readFileSync(file, 'utf8'), true, true);
      const targets = importedFiles.map(({ fileName }) => resolveRelative(file, fileName)).filter((path): path is string => path !== null);
      return [relative(ROOT, file), [...new Set(targets.map((path) => relative(ROOT, path)))]];
    }),
  );
};

/** The strongly connected components with more than one module, or a module importing itself (Tarjan). */
export const findCycles = (graph: Map<string, string[]>): string[][] => {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const cycles: string[][] = [];
  const visit = (node: string) => {
    index.set(node, index.size);
    low.set(node, index.get(node)!);
    stack.push(node);
    onStack.add(node);
    for (const next of graph.get(node) ?? []) {
      if (!index.has(next)) {
        visit(next);
        low.set(node, Math.min(low.get(node)!, low.get(next)!));
      } else if (onStack.has(next)) {
        low.set(node, Math.min(low.get(node)!, index.get(next)!));
      }
    }
    if (low.get(node) !== index.get(node)) return;
    const component: string[] = [];
    let member: string;
    do {
      member = stack.pop()!;
      onStack.delete(member);
      component.push(member);
    } while (member !== node);
    if (component.length > 1 || (graph.get(node) ?? []).includes(node)) cycles.push(component.sort());
  };
  for (const node of graph.keys()) if (!index.has(node)) visit(node);
  return cycles;
};

describe('import graph', () => {
  it('finds a cycle of two modules and a module importing itself, and nothing in a chain', () => {
    const graph = new Map([
      ['a.ts', ['b.ts']],
      ['b.ts', ['a.ts', 'c.ts']],
      ['c.ts', ['d.ts']],
      ['d.ts', []],
      ['e.ts', ['e.ts']],
    ]);

    expect(findCycles(graph)).toEqual([['a.ts', 'b.ts'], ['e.ts']]);
  });

  it('has no import cycle in the project, type-only imports included', () => {
    const graph = importGraph();

    expect(graph.size).toBeGreaterThan(100);
    expect(findCycles(graph)).toEqual([]);
  });
});
