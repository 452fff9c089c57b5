import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import prettier from 'eslint-config-prettier';

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'coverage/**', 'bench/results/**', 'test-results/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  prettier,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'off',
      'no-restricted-syntax': [
        'error',
        {
          selector: "MemberExpression[object.name='process'][property.name='env']",
          message: 'Read configuration through AppConfig; process.env is parsed once in src/config.',
        },
      ],
    },
  },
  {
    // Faces speak dialects; the speech use case (src/synthesis) is their only way to the engine.
    files: ['src/faces/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: ['**/providers/**', '**/providers'], message: 'Faces reach providers only through SpeechService (src/synthesis).' },
            { group: ['**/billing/**', '**/billing'], message: 'Faces never bill: SpeechService and JobService do (one billing rule).' },
            { group: ['**/synthesis/routing/**', '**/synthesis/routing'], message: 'Faces reach routing only through SpeechService.' },
          ],
        },
      ],
    },
  },
  {
    files: ['src/config/**/*.ts', 'test/**/*.ts', 'scripts/**/*.ts', 'bench/**/*.ts', 'src/cli.ts'],
    rules: { 'no-restricted-syntax': 'off' },
  },
);
