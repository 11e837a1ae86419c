package licence

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
)

// A licence PDF carries its electronic signature (seal.Signature over the
// bytes before it) after the document's end, as a PDF comment block:
//
//	<the PDF as rendered>\n%YWSIG1 <base64 signature DER>\n%%EOF\n
//
// PDF readers ignore comments and read from the last %%EOF, so the file
// opens as before; a verifier splits at the marker, checks the signature
// and that the digest covers exactly the bytes before it. No Go library
// here embeds an SM2 signature inside a PDF's own structure (deps.md), so
// this is the platform's own container, documented in docs/licences.md.
var (
	sigMarker  = []byte("\n%YWSIG1 ")
	sigTrailer = []byte("\n%%EOF\n")
)

const maxPDFBytes = 8 << 20

var errNotOurPDF = errors.New("这不是本平台签发的电子证照文件")

// attachSignature appends the signature block to a rendered PDF.
func attachSignature(pdf, sigDER []byte) []byte {
	out := make([]byte, 0, len(pdf)+len(sigMarker)+base64.StdEncoding.EncodedLen(len(sigDER))+len(sigTrailer))
	out = append(out, pdf...)
	out = append(out, sigMarker...)
	out = base64.StdEncoding.AppendEncode(out, sigDER)
	return append(out, sigTrailer...)
}

// splitSignature separates a signed licence PDF into the signed document
// and the signature DER.
func splitSignature(file []byte) (doc, sigDER []byte, err error) {
	if len(file) == 0 {
		return nil, nil, fmt.Errorf("%w：文件为空", errNotOurPDF)
	}
	if len(file) > maxPDFBytes {
		return nil, nil, fmt.Errorf("%w：文件超过 %d MB", errNotOurPDF, maxPDFBytes>>20)
	}
	if !IsPDF(file) {
		return nil, nil, fmt.Errorf("%w：不是PDF文件", errNotOurPDF)
	}
	if !bytes.HasSuffix(file, sigTrailer) {
		return nil, nil, fmt.Errorf("%w：文件不完整或没有电子签章", errNotOurPDF)
	}
	i := bytes.LastIndex(file, sigMarker)
	if i < 0 {
		return nil, nil, fmt.Errorf("%w：文件中没有电子签章", errNotOurPDF)
	}
	enc := file[i+len(sigMarker) : len(file)-len(sigTrailer)]
	sigDER = make([]byte, base64.StdEncoding.DecodedLen(len(enc)))
	n, err := base64.StdEncoding.Strict().Decode(sigDER, enc)
	if err != nil {
		return nil, nil, fmt.Errorf("%w：电子签章已损坏（文件已被改动）", errNotOurPDF)
	}
	return file[:i], sigDER[:n], nil
}
