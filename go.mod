module yiwang

go 1.26.8

require (
	github.com/chromedp/cdproto v0.159.0 // browser tests (e2e): Chrome DevTools protocol types
	github.com/chromedp/chromedp v0.23.0 // browser tests (e2e): drives headless Chromium from Go, no Node needed
	github.com/emmansun/gmsm v0.44.0 // SM2/SM3 (GB/T 32918, GB/T 32905) for electronic seals and signatures (internal/seal); maintained, MIT; not certified by 国家密码管理局, so private keys are used only through crypto.Signer (an HSM can replace them)
	github.com/go-ego/gse v0.80.3 // Chinese word segmentation (jieba in Go) for catalogue search; dictionary shipped in internal/catalog/data
	github.com/google/uuid v1.6.0 // UUIDv7 ids generated in Go (time-ordered, same on both databases)
	github.com/jackc/pgx/v5 v5.12.0 // PostgreSQL driver, used through database/sql (pgx/v5/stdlib)
	github.com/makiuchi-d/gozxing v0.1.1 // tests only: ZXing's QR decoder in Go reads back the codes internal/qr makes (internal/qr is its own encoder: boombuler/barcode 12.7 ms, skip2/go-qrcode 3.6 ms and unmaintained, yeqown/go-qrcode/v2 3.4 ms CPU for a 430-byte text, too slow for 200 licences a second)
	github.com/pressly/goose/v3 v3.29.0 // embedded per-dialect SQL migrations
	github.com/prometheus/client_golang v1.25.0 // /metrics in the Prometheus format
	github.com/signintech/gopdf v0.37.0 // PDF with embedded CJK TrueType subsets (guides, notices); checked with poppler
	github.com/xuri/excelize/v2 v2.11.0 // .xlsx import/export of the catalogue (v2.11.1 is not fetchable from the proxy)
	golang.org/x/crypto v0.58.0 // argon2id password hashing
	golang.org/x/image v0.38.0 // seal pictures (internal/sealimg): sfnt glyph outlines of the wqy font and a vector rasteriser, pure Go; v0.38.0 is the version the module graph already had, so nothing else moves
	modernc.org/sqlite v1.60.1 // embedded SQLite without cgo (pinned: v1.61 needs a pprof replace)
)

require (
	github.com/beorn7/perks v1.0.1 // indirect
	github.com/cespare/xxhash/v2 v2.3.0 // indirect
	github.com/dustin/go-humanize v1.1.0 // indirect
	github.com/go-json-experiment/json v0.0.0-20260213210345-44df1a37e875 // indirect
	github.com/jackc/pgpassfile v1.0.0 // indirect
	github.com/jackc/pgservicefile v0.0.0-20240606120523-5a60cdf6a761 // indirect
	github.com/jackc/puddle/v2 v2.2.3 // indirect
	github.com/mattn/go-isatty v0.0.24 // indirect
	github.com/mfridman/interpolate v0.0.2 // indirect
	github.com/munnerz/goautoneg v0.0.0-20191010083416-a7dc8b61c822 // indirect
	github.com/ncruces/go-strftime v1.1.0 // indirect
	github.com/phpdave11/gofpdi v1.0.14-0.20211212211723-1f10f9844311 // indirect
	github.com/pkg/errors v0.8.1 // indirect
	github.com/prometheus/client_model v0.6.3 // indirect
	github.com/prometheus/common v0.72.0 // indirect
	github.com/prometheus/procfs v0.22.0 // indirect
	github.com/remyoudompheng/bigfft v0.0.0-20230129092748-24d4a6f8daec // indirect
	github.com/richardlehane/mscfb v1.0.7 // indirect
	github.com/richardlehane/msoleps v1.0.6 // indirect
	github.com/sethvargo/go-retry v0.5.0 // indirect
	github.com/tiendc/go-deepcopy v1.7.2 // indirect
	github.com/vcaesar/cedar v0.20.2 // indirect
	github.com/xuri/efp v0.0.1 // indirect
	github.com/xuri/nfp v0.0.2-0.20250530014748-2ddeb826f9a9 // indirect
	go.uber.org/multierr v1.11.0 // indirect
	golang.org/x/net v0.61.0 // indirect
	golang.org/x/sync v0.24.0 // indirect
	golang.org/x/sys v0.49.0 // indirect
	golang.org/x/text v0.43.0 // indirect
	golang.org/x/xerrors v0.0.0-20200804184101-5ec99f83aff1 // indirect
	google.golang.org/protobuf v1.36.12 // indirect
	modernc.org/libc v1.78.0 // indirect
	modernc.org/mathutil v1.7.1 // indirect
	modernc.org/memory v1.12.1 // indirect
)
