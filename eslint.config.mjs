// @ts-check
/**
 * Lint: type-aware rules that catch real bugs (promises nobody awaits, switches that miss a case,
 * throwing non-errors, casts that do nothing), unused code and imports, focused or skipped tests,
 * and the direction of imports between the layers (docs in README.md, "Layout").
 *
 * Import cycles are checked by test/unit/import-graph.test.ts (it resolves every import, type-only
 * ones included, which eslint-plugin-import-x's no-cycle skips).
 */
import comments from '@eslint-community/eslint-plugin-eslint-comments';
import js from '@eslint/js';
import { defineConfig } from 'eslint/config';
import jest from 'eslint-plugin-jest';
import globals from 'globals';
import tseslint from 'typescript-eslint';

/** A relative import that climbs into one of the named top-level folders, from any depth. */
const into = (folders) => `^(\\.\\./)+(${folders.join('|')})(/|$)`;

/**
 * `no-restricted-imports` for one layer. Flat config does not merge a rule's options across
 * entries, so each layer lists everything it may not import (a deeper folder repeats its parent's).
 * The patterns read the import text; that is complete here because the project has no path aliases
 * (a relative path is the only way to reach another folder of the project).
 */
const layer = (folders, because, more = []) => ({
  'no-restricted-imports': [
    'error',
    {
      patterns: [
        { regex: into(folders), message: because },
        ...(folders.includes('test') ? [] : [{ regex: into(['test']), message: 'Nothing outside test/ imports test/.' }]),
        ...more,
      ],
    },
  ],
});

const applications = ['cli', 'drill', 'bench'];

export default defineConfig(
  {
    ignores: [
      'node_modules/',
      '.venv/',
      '.serverless/',
      '.esbuild/',
      '.build/',
      'dist/',
      'coverage/',
      '.drill/',
      '**/*.json',
    ],
  },
  {
    // A rule is switched off for one line at a time, with the reason after `--`; a directive that
    // no longer suppresses anything is an error.
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    plugins: { 'eslint-comments': comments },
    rules: {
      'eslint-comments/no-use': ['error', { allow: ['eslint-disable-next-line'] }],
      'eslint-comments/no-unlimited-disable': 'error',
      'eslint-comments/require-description': 'error',
    },
  },
  js.configs.recommended,
  tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
      globals: globals.node,
    },
    rules: {
      // In the recommended set, named here because they are why the linter is type-aware:
      // '@typescript-eslint/no-floating-promises', 'no-misused-promises', 'await-thenable',
      // 'no-unnecessary-type-assertion', 'only-throw-error', 'require-await'.
      '@typescript-eslint/switch-exhaustiveness-check': [
        'error',
        { considerDefaultExhaustiveForUnions: true, requireDefaultForNonUnion: false },
      ],
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      '@typescript-eslint/no-import-type-side-effects': 'error',
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_', ignoreRestSiblings: true },
      ],
      // Off: an async function that does not await still turns a throw into a rejection, which is
      // what callers of a Promise-returning interface (a scenario's prepare, a backend) expect;
      // dropping `async` to satisfy the rule would change that. Floating and misused promises,
      // the bugs that matter, are caught by the rules above.
      '@typescript-eslint/require-await': 'off',
      // A variable read by a callback created before its one assignment (a server's handler that
      // needs the object wrapping the server) cannot be a const.
      'prefer-const': ['error', { ignoreReadBeforeAssign: true }],
    },
  },
  {
    // The no-unsafe-* family stays on everywhere an `any` would leak into typed code. Two places are
    // exempt, where untyped data is the input by nature and is converted on the spot:
    // - the SQL adapters: pg hands over rows as `any`; each column is read once, converted (num(),
    //   `=== true`, `?? null`) into the adapter's typed result, which is the contract. Typing the
    //   rows again would be an unchecked cast per query, not safety. (Elsewhere a query names its
    //   row type.)
    // - the tests: they read parsed JSON (CLI output, CloudFormation templates, SDK payloads) and
    //   assert on its shape; a wrong shape fails the assertion.
    files: ['shared/postgres/**', 'test/**'],
    rules: {
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
    },
  },
  {
    // Generated documents (CloudFormation, IAM policies) are walked with `any` in the tests.
    files: ['test/**'],
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },
  {
    // Plain JavaScript (launchers, the serverless and esbuild glue, jest's configuration) is outside
    // tsconfig.json: lint it without type information, as CommonJS where it is.
    files: ['**/*.js', '**/*.cjs', '**/*.mjs'],
    extends: [tseslint.configs.disableTypeChecked],
  },
  {
    files: ['**/*.js', '**/*.cjs'],
    languageOptions: { sourceType: 'commonjs' },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },

  // Import direction: shared ← functions ← local ← cli/drill/bench ← test, and shared ← client ← drill
  // (client/ is the helper applications embed: the runtime library's SSM reading, nothing above it).
  {
    files: ['shared/**'],
    rules: layer(['functions', 'client', 'local', ...applications, 'test'], 'shared/ is the runtime library: it imports no handler, application helper, local stack, application or test.'),
  },
  {
    files: ['shared/decisions/**'],
    rules: layer(['functions', 'client', 'local', ...applications, 'test'], 'shared/ is the runtime library: it imports no handler, application helper, local stack, application or test.', [
      {
        regex: '^(\\.\\./)+(shared/)?(actions|aws|postgres)(/|$)',
        message: 'Decisions are pure: facts in, verdict out; observing and acting live in shared/actions, shared/aws, shared/postgres.',
      },
      { regex: '^(pg|pg/.*|@aws-sdk/.*)$', message: 'Decisions are pure: they never import a database or AWS client.' },
    ]),
  },
  {
    files: ['functions/**'],
    rules: layer(['client', 'local', ...applications, 'test'], 'functions/ holds the Lambda handlers: they import the runtime library only.'),
  },
  {
    files: ['client/**'],
    rules: layer(['functions', 'local', ...applications, 'test'], 'client/ is the helper applications embed: it imports the runtime library only.'),
  },
  {
    files: ['local/**'],
    rules: layer(['client', ...applications, 'test'], 'local/ is the local stack the applications and tests share: it imports no application helper, application or test.'),
  },
  {
    files: ['cli/**', 'drill/**', 'bench/**', 'scripts/**', 'bin/**'],
    rules: layer(['test'], 'Nothing outside test/ imports test/.'),
  },

  {
    files: ['test/**'],
    plugins: { jest },
    rules: {
      'jest/no-focused-tests': 'error',
      'jest/no-disabled-tests': 'error',
    },
  },
);
