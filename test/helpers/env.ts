/** How test/run.ts tells test files where the shared test cluster is. */
export const testEnvNames = {
  port: 'STEADFAST_TEST_PG_PORT',
  secretKey: 'STEADFAST_TEST_SECRET_KEY',
} as const;

/** The pre-migrated platform database each test file clones. */
export const templateDatabase = 'sf_template';
