// The packaging tests pack tarballs and run npm install and real servers: generous, bounded timeouts,
// and one file at a time so the consumer's installs and servers do not compete with the linters.

import { defineConfig } from "vitest/config";

export default defineConfig({
  test: { include: ["test/**/*.test.ts"], testTimeout: 60_000, hookTimeout: 240_000, fileParallelism: false },
});
