// Package e2e holds yiwang's end-to-end browser tests: the real application,
// built in-process by internal/app on SQLite and (when YIWANG_TEST_POSTGRES
// is set) on PostgreSQL, driven through headless Chromium with chromedp.
//
// Chromium is looked up at $YIWANG_CHROMIUM, else /usr/bin/chromium. Without
// it the tests skip locally and fail in CI (CI non-empty). Set
// YIWANG_SCREENSHOTS=1 (outside CI) to write screenshots to e2e/testdata/.
package e2e
