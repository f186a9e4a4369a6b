// Lint: ESLint's and typescript-eslint's recommended rules (formatting is dprint's: dprint.json).
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  {
    ignores: ['.devicepack/**', 'dist/**', 'dist-web/**', 'coverage/**', 'test/e2e/out/**', 'bench/results/**',
      '**/*.generated.ts'],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  { rules: {
    '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    // TypeScript reports undefined names; escaping control characters is what some regexes are for.
    'no-undef': 'off',
    'no-control-regex': 'off',
  } },
  // Tests edit parsed JSON states freely.
  { files: ['test/**'], rules: { '@typescript-eslint/no-explicit-any': 'off' } },
);
