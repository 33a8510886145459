// @ts-check
"use strict";
const js = require("@eslint/js");
const tseslint = require("typescript-eslint");
const globals = require("globals");
// Formatting is prettier's (npm run format; npm run lint checks it): no eslint rule about it.
const prettier = require("eslint-config-prettier");
const importX = require("eslint-plugin-import-x");
const { createTypeScriptImportResolver } = require("eslint-import-resolver-typescript");

module.exports = tseslint.config(
  { ignores: ["node_modules/", "dist/", ".pulumi/", ".data/", "coverage/"] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ["**/*.js"],
    languageOptions: { sourceType: "commonjs", globals: globals.node },
    rules: { "@typescript-eslint/no-require-imports": "off" },
  },
  {
    files: ["**/*.mjs"],
    languageOptions: { sourceType: "module", globals: globals.node },
  },
  prettier,
  {
    // Imports never go in a circle: a module's dependencies can be read, and tested, without it.
    files: ["**/*.ts"],
    plugins: { "import-x": importX },
    settings: {
      ...importX.flatConfigs.typescript.settings,
      "import-x/resolver-next": [createTypeScriptImportResolver({ project: "tsconfig.json" })],
    },
    rules: { "import-x/no-cycle": ["error", { ignoreExternal: true }] },
  },
  {
    // A file holds one idea; past 300 lines of code it holds more. Data tables are exempt.
    files: ["engine/**/*.ts", "cli/**/*.ts", "components/**/*.ts", "dynamic-providers/**/*.ts", "bench/**/*.ts"],
    ignores: ["engine/types/target-types.ts", "engine/generate/vocabulary.ts"],
    rules: { "max-lines": ["error", { max: 300, skipBlankLines: true, skipComments: true }] },
  },
  {
    // The CLI, the resource and its provider use the engine through its public index only.
    files: ["cli/**/*.ts", "components/**/*.ts", "dynamic-providers/**/*.ts", "program/**/*.ts", "index.ts"],
    rules: {
      "no-restricted-imports": [
        "error",
        { patterns: [{ group: ["**/engine/*"], message: "import from the engine's public index (engine/index.ts)" }] },
      ],
    },
  },
  {
    rules: {
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
      eqeqeq: ["error", "always", { null: "ignore" }],
    },
  },
);
