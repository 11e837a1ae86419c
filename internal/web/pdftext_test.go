package web_test

import (
	"testing"

	"yiwang/internal/pdf/pdftext"
)

// pdfText is the PDF's text as a reader sees it (internal/pdf/pdftext).
func pdfText(t *testing.T, b []byte) string { return pdftext.Text(t, b) }
