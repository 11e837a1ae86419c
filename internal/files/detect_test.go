package files_test

import (
	"bytes"
	"strings"
	"testing"

	"yiwang/internal/apperr"
	"yiwang/internal/files"
	"yiwang/internal/files/filestest"
)

func TestDetect(t *testing.T) {
	pdf := filestest.PDF()
	for _, tc := range []struct {
		name    string
		content []byte
		want    files.Type
		refusal string // part of the message when refused
	}{
		{"pdf", pdf, files.TypePDF, ""},
		{"pdf with trailing newlines", append(append([]byte{}, pdf...), "\r\n\r\n"...), files.TypePDF, ""},
		{"png", filestest.PNG(), files.TypePNG, ""},
		{"jpeg", filestest.JPEG(), files.TypeJPEG, ""},
		{"ofd", filestest.OFD(), files.TypeOFD, ""},
		{"truncated pdf", pdf[:len(pdf)/2], files.Type{}, "PDF 文档不完整"},
		{"png signature only", []byte("\x89PNG\r\n\x1a\n"), files.Type{}, "PNG 图片已损坏"},
		{"jpeg marker only", []byte("\xff\xd8\xff\xe0garbage"), files.Type{}, "JPEG 图片已损坏"},
		{"plain zip", filestest.Zip(map[string]string{"a.txt": "hello"}), files.Type{}, "ZIP 压缩包（不是 OFD 文档）"},
		{"ofd.xml not at the root", filestest.Zip(map[string]string{"x/OFD.xml": "<ofd/>"}), files.Type{}, "ZIP 压缩包"},
		{"docx", filestest.Zip(map[string]string{"[Content_Types].xml": "<x/>", "word/document.xml": "<w/>"}), files.Type{}, "Word 文档"},
		{"broken zip", []byte("PK\x03\x04 not really a zip"), files.Type{}, "已损坏的 ZIP 压缩包"},
		{"exe", filestest.EXE(), files.Type{}, "Windows 可执行程序"},
		{"text", []byte("身份证号 330122199001011234\n"), files.Type{}, "纯文本"},
		{"html", []byte("<!DOCTYPE html><html><script>alert(1)</script>"), files.Type{}, "网页（HTML）"},
		{"gif", []byte("GIF89a\x01\x00\x01\x00\x00\x00\x00;"), files.Type{}, "GIF 图片"},
		{"pdf marker not at the start", append([]byte(" "), pdf...), files.Type{}, "只能上传 PDF、JPG、PNG 或 OFD 格式的文件"},
		{"binary noise", []byte{0, 1, 2, 3, 4, 5, 0xfe, 0xff}, files.Type{}, "无法识别的格式"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := files.Detect(bytes.NewReader(tc.content), int64(len(tc.content)))
			if tc.refusal == "" {
				if err != nil || got.MIME != tc.want.MIME {
					t.Fatalf("Detect = %v, %v; want %s", got.MIME, err, tc.want.MIME)
				}
				return
			}
			if err == nil {
				t.Fatalf("accepted as %s", got.MIME)
			}
			if !apperr.Is(err, apperr.Invalid) || !strings.Contains(apperr.Message(err), tc.refusal) {
				t.Fatalf("refusal %v, want Invalid saying %q", err, tc.refusal)
			}
		})
	}
}
