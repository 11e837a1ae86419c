package files

import (
	"archive/zip"
	"bytes"
	"fmt"
	"image/jpeg"
	"image/png"
	"io"
	"net/http"
	"strings"

	"yiwang/internal/apperr"
)

// Type is a kind of content we accept as case material.
type Type struct {
	MIME  string   // stored and served as Content-Type
	Label string   // what a person calls it
	Exts  []string // extensions a name of this type may end with; the first is the usual one
}

// The accepted types. Nothing else is stored: not by name, not by what the
// client says the type is, only by what the bytes are.
var (
	TypePDF  = Type{MIME: "application/pdf", Label: "PDF 文档", Exts: []string{".pdf"}}
	TypeJPEG = Type{MIME: "image/jpeg", Label: "JPEG 图片", Exts: []string{".jpg", ".jpeg"}}
	TypePNG  = Type{MIME: "image/png", Label: "PNG 图片", Exts: []string{".png"}}
	// OFD (GB/T 33190) is China's fixed-layout format for electronic
	// documents and licences: a ZIP package with OFD.xml at its root.
	TypeOFD = Type{MIME: "application/ofd", Label: "OFD 版式文档", Exts: []string{".ofd"}}
)

const acceptedList = "PDF、JPG、PNG 或 OFD"

// sniffLen is how much of the head is examined (as http.DetectContentType).
const sniffLen = 512

// pdfTailLen: readers look for %%EOF within the last 1024 bytes.
const pdfTailLen = 1024

// Detect tells what the size bytes behind ra are, from the content alone,
// and returns the accepted type, or an Invalid error that says what the
// content really is. It reads the head, the tail of a PDF, the header of
// an image and the directory of a ZIP, never the whole content.
func Detect(ra io.ReaderAt, size int64) (Type, error) {
	head := make([]byte, min(size, sniffLen))
	if _, err := ra.ReadAt(head, 0); err != nil && err != io.EOF {
		return Type{}, err
	}
	section := func() io.Reader { return io.NewSectionReader(ra, 0, size) }
	switch {
	case bytes.HasPrefix(head, []byte("%PDF-")):
		tail := make([]byte, min(size, pdfTailLen))
		if _, err := ra.ReadAt(tail, size-int64(len(tail))); err != nil && err != io.EOF {
			return Type{}, err
		}
		if !bytes.Contains(tail, []byte("%%EOF")) {
			return Type{}, fileErr("PDF 文档不完整或已损坏（缺少文件结束标记），请重新导出或扫描后上传")
		}
		return TypePDF, nil
	case bytes.HasPrefix(head, []byte("\x89PNG\r\n\x1a\n")):
		if _, err := png.DecodeConfig(section()); err != nil {
			return Type{}, fileErr("PNG 图片已损坏，无法读取，请重新拍摄或导出后上传")
		}
		return TypePNG, nil
	case bytes.HasPrefix(head, []byte("\xff\xd8\xff")):
		if _, err := jpeg.DecodeConfig(section()); err != nil {
			return Type{}, fileErr("JPEG 图片已损坏，无法读取，请重新拍摄或导出后上传")
		}
		return TypeJPEG, nil
	case bytes.HasPrefix(head, []byte("PK\x03\x04")):
		zr, err := zip.NewReader(ra, size)
		if err != nil {
			return Type{}, refused("已损坏的 ZIP 压缩包")
		}
		if isOFD(zr) {
			return TypeOFD, nil
		}
		return Type{}, refused(describeZip(zr))
	}
	return Type{}, refused(describe(head))
}

// isOFD: an OFD package has its entry document OFD.xml at the root.
func isOFD(zr *zip.Reader) bool {
	for _, f := range zr.File {
		if f.Name == "OFD.xml" && !f.FileInfo().IsDir() {
			return true
		}
	}
	return false
}

func describeZip(zr *zip.Reader) string {
	for _, f := range zr.File {
		switch {
		case strings.HasPrefix(f.Name, "word/"):
			return "Word 文档（.docx）"
		case strings.HasPrefix(f.Name, "xl/"):
			return "Excel 表格（.xlsx）"
		case strings.HasPrefix(f.Name, "ppt/"):
			return "PowerPoint 演示文稿（.pptx）"
		}
	}
	return "ZIP 压缩包（不是 OFD 文档）"
}

// describe names content we do not accept, so the refusal can say what the
// file really is.
func describe(head []byte) string {
	switch {
	case len(head) == 0:
		return "空文件"
	case bytes.HasPrefix(head, []byte("MZ")):
		return "Windows 可执行程序"
	case bytes.HasPrefix(head, []byte("\x7fELF")):
		return "可执行程序"
	case bytes.HasPrefix(head, []byte("\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1")):
		return "旧版 Office 文档（.doc/.xls）"
	case bytes.HasPrefix(head, []byte("7z\xbc\xaf\x27\x1c")):
		return "7z 压缩包"
	case len(head) >= 12 && string(head[4:8]) == "ftyp" && strings.Contains("heic heix hevc heim heis mif1 msf1", string(head[8:12])):
		return "HEIC 图片（请在手机上转为 JPG 后上传）"
	}
	ct := http.DetectContentType(head)
	ct, _, _ = strings.Cut(ct, ";")
	switch {
	case ct == "image/gif":
		return "GIF 图片"
	case ct == "image/webp":
		return "WebP 图片"
	case ct == "image/bmp":
		return "BMP 图片"
	case ct == "text/html":
		return "网页（HTML）"
	case ct == "text/xml":
		return "XML 文本"
	case ct == "text/plain":
		return "纯文本"
	case ct == "application/x-gzip":
		return "GZIP 压缩包"
	case ct == "application/x-rar-compressed":
		return "RAR 压缩包"
	case ct == "application/postscript":
		return "PostScript 文件"
	case strings.HasPrefix(ct, "video/"):
		return "视频"
	case strings.HasPrefix(ct, "audio/"):
		return "音频"
	case strings.HasPrefix(ct, "font/"):
		return "字体文件"
	}
	return "无法识别的格式"
}

func refused(what string) error {
	return fileErr(fmt.Sprintf("只能上传 %s 格式的文件；该文件的内容是%s", acceptedList, spaced(what)))
}

// checkExt refuses a name whose extension does not say what the content
// is: a PNG called .pdf would open in the wrong program at the window.
func checkExt(name string, t Type) error {
	ext := ""
	if i := strings.LastIndexByte(name, '.'); i >= 0 {
		ext = strings.ToLower(name[i:])
	}
	for _, e := range t.Exts {
		if ext == e {
			return nil
		}
	}
	if ext == "" || ext == "." {
		return fileErr(fmt.Sprintf("文件名没有扩展名；该文件的内容是%s，文件名应以 %s 结尾", spaced(t.Label), t.Exts[0]))
	}
	return fileErr(fmt.Sprintf("文件名以 %s 结尾，但内容其实是%s；请把扩展名改为 %s 后再上传", ext, spaced(t.Label), t.Exts[0]))
}

// spaced puts a space before a label that starts with a Latin letter, as
// Chinese typesetting does ("内容是 PNG 图片", "内容是纯文本").
func spaced(label string) string {
	if label != "" && label[0] < 0x80 {
		return " " + label
	}
	return label
}

// fileErr is an Invalid error about the uploaded file (form field "file").
func fileErr(msg string) error {
	return &apperr.Error{Code: apperr.Invalid, Message: msg, Fields: map[string]string{"file": msg}}
}
