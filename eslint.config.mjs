// ESLint for the whole repository: typescript-eslint's type-checked recommendations. Rules that do
// not fit this codebase are switched off or tuned here, each with its reason, not in comments
// scattered through the code. Formatting is Prettier's (eslint-config-prettier turns off the
// rules that would disagree with it).
import js from "@eslint/js";
import { defineConfig } from "eslint/config";
import prettier from "eslint-config-prettier";
import tseslint from "typescript-eslint";

const UNSAFE_ANY_RULES = {
  "@typescript-eslint/no-explicit-any": "off",
  "@typescript-eslint/no-unsafe-argument": "off",
  "@typescript-eslint/no-unsafe-assignment": "off",
  "@typescript-eslint/no-unsafe-call": "off",
  "@typescript-eslint/no-unsafe-member-access": "off",
  "@typescript-eslint/no-unsafe-return": "off",
};

export default defineConfig(
  {
    ignores: [
      // Build output and run artefacts (all git-ignored).
      "dist/",
      "kernel-helpers/dist/",
      "release/",
      "results/",
      "test-artifacts/",
      ".cache/",
      ".scratch*/",
      // Generated from the source notebooks by bench/make-samples.ts.
      "samples/",
      // Learner-style submissions and assignments that the tests grade and compare: their text is test data.
      "tests/fixtures/",
    ],
  },
  {
    // A disable comment that no longer disables anything is an error, so none linger.
    linterOptions: { reportUnusedDisableDirectives: "error" },
  },
  js.configs.recommended,
  tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
  },
  {
    // The notebooks' checks and hidden tests compile in a project of their own, which the project service does not look for.
    files: ["notebooks/**/*.ts"],
    languageOptions: { parserOptions: { projectService: false, project: "./tsconfig.assignments.json" } },
  },
  {
    // Plain JavaScript (the bin shim, this file) is in no TypeScript project: lint it without type information.
    files: ["**/*.js", "**/*.mjs"],
    extends: [tseslint.configs.disableTypeChecked],
  },
  {
    // The bin shim is CommonJS and loads the compiled command line.
    files: ["**/*.js"],
    languageOptions: { sourceType: "commonjs" },
    rules: { "@typescript-eslint/no-require-imports": "off" },
  },
  {
    files: ["**/*.ts"],
    rules: {
      // The project is CommonJS: require() loads heavy or optional modules lazily (tslab, Dolos) and package.json, outside rootDir.
      "@typescript-eslint/no-require-imports": "off",
      // Stripping ANSI colour codes (\u001b[...m) from Jest's messages is the point of those regular expressions.
      "no-control-regex": "off",
      // Methods are saved and restored when the code patches them (tslab's compiler host, process.stdout.write) and called with .call().
      "@typescript-eslint/unbound-method": "off",
      // async without await keeps Promise-returning interfaces (dispose, bridges) uniform: a throw becomes a rejection, as callers expect.
      "@typescript-eslint/require-await": "off",
      // Rethrowing a caught value as it came (unknown) is not inventing a non-Error reason.
      "@typescript-eslint/prefer-promise-reject-errors": ["error", { allowThrowingUnknown: true }],
      // A let that a callback reads before its one assignment cannot become a const (it would be read in its dead zone).
      "prefer-const": ["error", { ignoreReadBeforeAssign: true }],
      // Destructuring a key beside a rest element is how the code leaves that key out of a copy.
      "@typescript-eslint/no-unused-vars": ["error", { ignoreRestSiblings: true }],
    },
  },
  {
    // Learner functions are untyped by design: hidden tests call them with any arguments and check what comes back.
    files: ["grader/testing/**/*.ts", "notebooks/**/hidden-tests/**/*.ts"],
    rules: UNSAFE_ANY_RULES,
  },
  {
    // Tests read parsed JSON, browser objects and learner results whose shape their assertions check; messages print whatever came back.
    files: ["tests/**/*.ts"],
    rules: { ...UNSAFE_ANY_RULES, "@typescript-eslint/restrict-template-expressions": "off" },
  },
  {
    // The harness loads compiled hidden tests as a CommonJS module, on purpose.
    files: ["tests/support/hidden-test-harness.ts"],
    rules: { "@typescript-eslint/no-implied-eval": "off" },
  },
  prettier,
);
