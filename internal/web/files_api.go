package web

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"mime/multipart"
	"net/http"
	"strconv"
	"strings"

	"yiwang/internal/apperr"
	"yiwang/internal/files"
)

// fileView is how the API shows a stored file.
type fileView struct {
	ID          string `json:"id"`
	Name        string `json:"name"`
	ContentType string `json:"contentType"`
	Size        int64  `json:"size"`
	SHA256      string `json:"sha256"`
}

// multipartOverhead is the room a request may take beyond the file itself:
// boundaries, part headers and a few small fields.
const multipartOverhead = 64 << 10

var (
	errNotMultipart = &apperr.Error{Code: apperr.Invalid, Message: "请以 multipart/form-data 上传，文件放在 file 字段中",
		Fields: map[string]string{"file": "请选择要上传的文件"}}
	errNoFile = &apperr.Error{Code: apperr.Invalid, Message: "请求中没有文件：请选择要上传的文件，放在 file 字段中",
		Fields: map[string]string{"file": "请选择要上传的文件"}}
	errSeveralFiles = &apperr.Error{Code: apperr.Invalid, Message: "一次只能上传一个文件，请分开上传",
		Fields: map[string]string{"file": "一次只能上传一个文件"}}
	errFileNotAFile = &apperr.Error{Code: apperr.Invalid, Message: "file 字段应为文件，而不是文字",
		Fields: map[string]string{"file": "请选择要上传的文件"}}
	errBadMultipart = apperr.New(apperr.Invalid, "请求体不是有效的 multipart/form-data，请检查上传方式")
)

func (s *Server) routesFiles() {
	s.api(apiRoute{Method: "POST", Path: "/api/v1/files", Tag: "材料",
		Summary: fmt.Sprintf("上传一份申请材料：PDF、JPG、PNG 或 OFD，不超过 %d MB；按内容识别类型，扩展名须与内容一致", s.Files.Limit()>>20),
		Auth:    authRequired,
		Multipart: []formPart{{Name: "file", Required: true, File: true,
			Desc: "文件本身（只能一个）。文件名只取最后一段，含 ../ 的文件名会被拒绝"}},
		Response: fileView{}, Status: http.StatusCreated}, s.apiUploadFile)
	s.api(apiRoute{Method: "GET", Path: "/api/v1/files/{id}", Tag: "材料",
		Summary: "下载材料原文（本人上传的文件；以附件形式返回原始字节，Content-Type 为识别出的类型）",
		Auth:    authRequired, Errors: []int{404}}, s.apiDownloadFile)
}

// apiUploadFile streams the multipart body: the file part goes straight
// into the files service (no ParseMultipartForm, so nothing is buffered
// twice and a second file is noticed), and the file is saved only once the
// whole request is known to be acceptable.
func (s *Server) apiUploadFile(w http.ResponseWriter, r *http.Request) error {
	mt, params, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mt != "multipart/form-data" || params["boundary"] == "" {
		return errNotMultipart
	}
	r.Body = http.MaxBytesReader(w, r.Body, s.Files.Limit()+multipartOverhead)
	mr := multipart.NewReader(r.Body, params["boundary"])
	var in *files.Incoming
	defer func() { in.Close() }()
	for {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return s.uploadError(err)
		}
		if part.FormName() != "file" {
			continue // other fields (a form's csrf, say) are not ours to judge
		}
		if in != nil {
			return errSeveralFiles
		}
		name, isFile := partFileName(part)
		if !isFile {
			return errFileNotAFile
		}
		if name == "" {
			// What a browser sends for a file input left empty.
			return errNoFile
		}
		if in, err = s.Files.Receive(r.Context(), principal(r), name, part); err != nil {
			return s.uploadError(err)
		}
	}
	if in == nil {
		return errNoFile
	}
	f, err := s.Files.Save(r.Context(), principal(r), in)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, fileView{ID: f.ID, Name: f.Name, ContentType: f.ContentType, Size: f.Size, SHA256: f.SHA256})
	return nil
}

// partFileName returns the file name exactly as sent. Part.FileName would
// already cut it to its base name, hiding a "../" trick from the check
// that refuses it.
func partFileName(p *multipart.Part) (name string, isFile bool) {
	_, params, err := mime.ParseMediaType(p.Header.Get("Content-Disposition"))
	if err != nil {
		return "", false
	}
	name, isFile = params["filename"]
	return name, isFile
}

// uploadError answers a body that ran past its limit as too large and a
// malformed one as invalid.
func (s *Server) uploadError(err error) error {
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		return &apperr.Error{Code: apperr.TooLarge, Message: fmt.Sprintf("文件不能超过 %d MB，请压缩或分开上传", s.Files.Limit()>>20),
			Fields: map[string]string{"file": "文件过大"}, Err: err}
	}
	var ae *apperr.Error
	if errors.As(err, &ae) {
		return err
	}
	return apperr.Wrap(apperr.Invalid, errBadMultipart.Message, err)
}

func (s *Server) apiDownloadFile(w http.ResponseWriter, r *http.Request) error {
	f, content, err := s.Files.Open(r.Context(), principal(r), r.PathValue("id"))
	if err != nil {
		return err
	}
	defer content.Close()
	h := w.Header()
	h.Set("Content-Type", f.ContentType)
	h.Set("Content-Length", strconv.FormatInt(f.Size, 10))
	h.Set("Content-Disposition", attachmentDisposition(f.Name))
	h.Set("ETag", `"`+f.SHA256+`"`)
	h.Set("Cache-Control", "private, no-store")
	// Never rendered by us: if a browser displays it anyway, it runs nothing.
	h.Set("Content-Security-Policy", "default-src 'none'; sandbox")
	h.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(http.StatusOK)
	if r.Method == http.MethodHead {
		return nil
	}
	if _, err := io.Copy(w, content); err != nil {
		// The status is sent; all that is left is to note it.
		s.Log.WarnContext(r.Context(), "file download interrupted", slog.String("request_id", requestID(r)), slog.String("file", f.ID), slog.Any("err", err))
	}
	return nil
}

// attachmentDisposition is a Content-Disposition that makes browsers save
// the file under its name: an ASCII fallback for old clients and the real
// name in RFC 5987 encoding (filename*=UTF-8”…) for everyone else.
func attachmentDisposition(name string) string {
	var ascii strings.Builder
	for _, r := range name {
		if r >= 0x20 && r < 0x7f && r != '"' && r != '\\' && r != '%' && r != ';' {
			ascii.WriteRune(r)
		} else {
			ascii.WriteByte('_')
		}
	}
	var enc strings.Builder
	for i := 0; i < len(name); i++ {
		if c := name[i]; isAttrChar(c) {
			enc.WriteByte(c)
		} else {
			fmt.Fprintf(&enc, "%%%02X", c)
		}
	}
	return `attachment; filename="` + ascii.String() + `"; filename*=UTF-8''` + enc.String()
}

// isAttrChar: RFC 5987 attr-char, the bytes that need no percent-encoding.
func isAttrChar(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.IndexByte("!#$&+-.^_`|~", c) >= 0
}
