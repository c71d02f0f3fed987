// The full test tier (npm run test:full, what CI runs): every test file, the `*.slow.test.js`
// ones included, and full-size cases where a test reads SPECINFER_TEST_TIER (test/support/tier.ts).
process.env.SPECINFER_TEST_TIER = 'full';
module.exports = {
  spec: ['dist/test/**/*.test.js'],
  timeout: 300000,
  'enable-source-maps': true,
};
