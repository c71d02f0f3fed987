// ESLint flat config: typescript-eslint's type-aware recommended rules on src/ and test/ (the
// tsconfig.json project, read from source: no build needed), the plain recommended rules on the
// few JavaScript files. A rule turned off says why on its line.
import js from '@eslint/js';
import { defineConfig } from 'eslint/config';
import tseslint from 'typescript-eslint';

export default defineConfig(
  { ignores: ['dist/', 'notebooks/', 'results/', 'models/'] },
  js.configs.recommended,
  {
    files: ['**/*.ts'],
    extends: [tseslint.configs.recommendedTypeChecked],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
      // Speculator, model and session methods are async by contract; an implementation that needs no await keeps that signature.
      '@typescript-eslint/require-await': 'off',
    },
  },
  {
    files: ['**/*.js', '**/*.cjs', '**/*.mjs'],
    extends: [tseslint.configs.disableTypeChecked],
    languageOptions: {
      globals: { Buffer: 'readonly', console: 'readonly', module: 'writable', process: 'readonly', require: 'readonly', URL: 'readonly' },
    },
  },
);
