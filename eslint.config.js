// @ts-check
"use strict";
const js = require("@eslint/js");
const tseslint = require("typescript-eslint");
const globals = require("globals");
// Formatting is prettier's (npm run format; npm run lint checks it): no eslint rule about it.
const prettier = require("eslint-config-prettier");

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
    rules: {
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
      eqeqeq: ["error", "always", { null: "ignore" }],
    },
  },
);
