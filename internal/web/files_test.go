package web_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"path/filepath"
	"strings"
	"testing"

	"yiwang/internal/files"
	"yiwang/internal/files/filestest"
)

// upPart is one part of a multipart upload body.
type upPart struct {
	field    string
	filename string // sent verbatim; "-" sends a text field (no filename)
	content  []byte
}

func multipartBody(t *testing.T, parts ...upPart) ([]byte, string) {
	t.Helper()
	var b bytes.Buffer
	mw := multipart.NewWriter(&b)
	for _, p := range parts {
		h := textproto.MIMEHeader{}
		if p.filename == "-" {
			h.Set("Content-Disposition", fmt.Sprintf(`form-data; name=%q`, p.field))
		} else {
			h.Set("Content-Disposition", fmt.Sprintf(`form-data; name=%q; filename=%q`, p.field, p.filename))
			h.Set("Content-Type", "application/octet-stream")
		}
		w, err := mw.CreatePart(h)
		if err != nil {
			t.Fatal(err)
		}
		_, _ = w.Write(p.content)
	}
	_ = mw.Close()
	return b.Bytes(), mw.FormDataContentType()
}

func (c *apiClient) postFile(parts ...upPart) apiResp {
	c.t.Helper()
	body, ct := multipartBody(c.t, parts...)
	return c.call("POST", "/api/v1/files", body, "Content-Type", ct)
}

func filePart(name string, content []byte) upPart {
	return upPart{field: "file", filename: name, content: content}
}

// storedObjects counts the objects in the file store and what is left
// waiting in its incoming directory.
func storedObjects(t *testing.T, a *testApp) (objects, waiting int) {
	t.Helper()
	root := a.Files.Store.(*files.LocalDisk).Root
	_ = filepath.WalkDir(root, func(p string, e fs.DirEntry, err error) error {
		if err != nil || !e.Type().IsRegular() {
			return nil
		}
		if filepath.Base(filepath.Dir(p)) == "incoming" {
			waiting++
		} else {
			objects++
		}
		return nil
	})
	return objects, waiting
}

func TestFilesAPI(t *testing.T) {
	eachDB(t, func(t *testing.T, a *testApp) {
		anon := a.api(t)
		c1 := anon.login("citizen1")
		c2 := anon.login("citizen2")
		pdf := filestest.PDF()

		// Upload, then download by the owner.
		r := c1.postFile(filePart("申请书.pdf", pdf))
		if r.Status != http.StatusCreated {
			t.Fatalf("upload: %d %s", r.Status, r.Raw)
		}
		sum := sha256.Sum256(pdf)
		id := r.str("id")
		if len(id) != 36 || r.str("name") != "申请书.pdf" || r.str("contentType") != "application/pdf" ||
			r.JSON["size"] != float64(len(pdf)) || r.str("sha256") != hex.EncodeToString(sum[:]) {
			t.Fatalf("upload answer: %s", r.Raw)
		}
		d := c1.call("GET", "/api/v1/files/"+id, nil)
		if d.Status != 200 || d.Raw != string(pdf) {
			t.Fatalf("download: %d (%d bytes)", d.Status, len(d.Raw))
		}
		for h, want := range map[string]string{
			"Content-Type":           "application/pdf",
			"Content-Disposition":    `attachment; filename="___.pdf"; filename*=UTF-8''%E7%94%B3%E8%AF%B7%E4%B9%A6.pdf`,
			"X-Content-Type-Options": "nosniff",
			"Content-Length":         fmt.Sprint(len(pdf)),
			"Cache-Control":          "private, no-store",
		} {
			if got := d.Header.Get(h); got != want {
				t.Errorf("%s: %q, want %q", h, got, want)
			}
		}

		// Another citizen: as if it did not exist. Nobody: log in first.
		if r := c2.call("GET", "/api/v1/files/"+id, nil); r.Status != 404 || r.errCode(t) != "not_found" {
			t.Fatalf("citizen2 downloads citizen1's file: %d %s", r.Status, r.Raw)
		}
		if r := c1.call("GET", "/api/v1/files/0190a000-0000-7000-8000-000000000000", nil); r.Status != 404 {
			t.Fatalf("unknown id: %d", r.Status)
		}
		if r := anon.call("GET", "/api/v1/files/"+id, nil); r.Status != 401 || r.errCode(t) != "unauthenticated" {
			t.Fatalf("anonymous download: %d %s", r.Status, r.Raw)
		}
		if r := anon.postFile(filePart("a.pdf", pdf)); r.Status != 401 || r.errCode(t) != "unauthenticated" {
			t.Fatalf("anonymous upload: %d %s", r.Status, r.Raw)
		}

		// Every kind of bad upload, each with its own clear answer.
		limit := a.Files.Limit()
		overLimit := append(append([]byte{}, pdf...), bytes.Repeat([]byte{' '}, int(limit)+1-len(pdf))...)
		for _, tc := range []struct {
			name   string
			body   []byte // nil: multipart of parts
			ctype  string
			parts  []upPart
			status int
			code   string
			says   string
		}{
			{name: "one byte too large", parts: []upPart{filePart("big.pdf", overLimit)}, status: 413, code: "too_large", says: "文件不能超过 20 MB"},
			{name: "far too large", parts: []upPart{filePart("huge.pdf", make([]byte, limit+1<<20))}, status: 413, code: "too_large", says: "文件不能超过 20 MB"},
			{name: "zero bytes", parts: []upPart{filePart("empty.pdf", nil)}, status: 400, code: "invalid", says: "文件是空的"},
			{name: "path trick", parts: []upPart{filePart("../../etc/passwd.pdf", pdf)}, status: 400, code: "invalid", says: "文件名不能包含路径"},
			{name: "windows path trick", parts: []upPart{filePart(`..\..\windows\win.ini.pdf`, pdf)}, status: 400, code: "invalid", says: "文件名不能包含路径"},
			{name: "png named .pdf", parts: []upPart{filePart("证明.pdf", filestest.PNG())}, status: 400, code: "invalid", says: "内容其实是 PNG 图片"},
			{name: "exe", parts: []upPart{filePart("setup.exe", filestest.EXE())}, status: 400, code: "invalid", says: "Windows 可执行程序"},
			{name: "exe named .pdf", parts: []upPart{filePart("setup.pdf", filestest.EXE())}, status: 400, code: "invalid", says: "Windows 可执行程序"},
			{name: "text file", parts: []upPart{filePart("notes.txt", []byte("hello"))}, status: 400, code: "invalid", says: "纯文本"},
			{name: "html named .png", parts: []upPart{filePart("x.png", []byte("<html><script>alert(1)</script></html>"))}, status: 400, code: "invalid", says: "网页（HTML）"},
			{name: "two files", parts: []upPart{filePart("a.pdf", pdf), filePart("b.pdf", pdf)}, status: 400, code: "invalid", says: "一次只能上传一个文件"},
			{name: "no file field", parts: []upPart{{field: "note", filename: "-", content: []byte("x")}}, status: 400, code: "invalid", says: "请求中没有文件"},
			{name: "file under another field", parts: []upPart{{field: "upload", filename: "a.pdf", content: pdf}}, status: 400, code: "invalid", says: "请求中没有文件"},
			{name: "file as a text field", parts: []upPart{{field: "file", filename: "-", content: pdf}}, status: 400, code: "invalid", says: "应为文件"},
			{name: "empty file input", parts: []upPart{filePart("", nil)}, status: 400, code: "invalid", says: "请求中没有文件"},
			{name: "JSON body", body: []byte(`{"file":"JVBERi0="}`), ctype: "application/json", status: 400, code: "invalid", says: "multipart/form-data"},
			{name: "no content type", body: pdf, ctype: "", status: 400, code: "invalid", says: "multipart/form-data"},
			{name: "multipart without boundary", body: pdf, ctype: "multipart/form-data", status: 400, code: "invalid", says: "multipart/form-data"},
			{name: "broken multipart", body: []byte("--x\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.pdf\"\r\n\r\n%PDF-"), ctype: "multipart/form-data; boundary=x", status: 400, code: "invalid", says: ""},
		} {
			t.Run(tc.name, func(t *testing.T) {
				var r apiResp
				if tc.body != nil {
					r = c1.call("POST", "/api/v1/files", tc.body, "Content-Type", tc.ctype)
				} else {
					r = c1.postFile(tc.parts...)
				}
				if r.Status != tc.status || r.errCode(t) != tc.code || !strings.Contains(r.Raw, tc.says) {
					t.Fatalf("%d %s; want %d %s saying %q", r.Status, r.Raw, tc.status, tc.code, tc.says)
				}
			})
		}

		// A directory in front of a name is dropped; the stored name never
		// holds a separator.
		r = c1.postFile(filePart(`C:\fakepath\扫描件 1.png`, filestest.PNG()))
		if r.Status != 201 || r.str("name") != "扫描件 1.png" || r.str("contentType") != "image/png" {
			t.Fatalf("fakepath upload: %d %s", r.Status, r.Raw)
		}
		for _, up := range []upPart{filePart("照片.JPG", filestest.JPEG()), filePart("营业执照.ofd", filestest.OFD())} {
			if r := c1.postFile(up); r.Status != 201 {
				t.Fatalf("%s: %d %s", up.filename, r.Status, r.Raw)
			}
		}
		rows, err := a.DB.QueryContext(t.Context(), `SELECT name FROM files`)
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for rows.Next() {
			var name string
			_ = rows.Scan(&name)
			if strings.ContainsAny(name, `/\`) {
				t.Errorf("stored name %q holds a separator", name)
			}
			n++
		}
		rows.Close()
		// Nothing refused left a row, an object or a waiting upload behind.
		if objects, waiting := storedObjects(t, a); n != 4 || objects != 4 || waiting != 0 {
			t.Fatalf("%d rows, %d objects, %d waiting; want 4, 4, 0", n, objects, waiting)
		}
	})
}

// TestFilesFromTheBrowser: a cookie session uploads with the CSRF token in
// the URL (the body is not parsed before the request is known genuine).
func TestFilesFromTheBrowser(t *testing.T) {
	a := newApp(t, "")
	b := a.browser(t)
	b.login("citizen1")
	if b.csrf == "" {
		t.Fatal("no CSRF token after login")
	}
	body, ct := multipartBody(t, filePart("申请书.pdf", filestest.PDF()))
	post := func(path string) page {
		req, _ := http.NewRequest("POST", a.URL+path, bytes.NewReader(body))
		req.Header.Set("Content-Type", ct)
		return b.do(req)
	}
	if p := post("/api/v1/files"); p.Status != 403 {
		t.Fatalf("upload without CSRF token: %d %s", p.Status, p.Body)
	}
	p := post("/api/v1/files?csrf=" + b.csrf)
	if p.Status != 201 || !strings.Contains(p.Body, `"contentType":"application/pdf"`) {
		t.Fatalf("upload with CSRF token: %d %s", p.Status, p.Body)
	}
}

func TestFilesOpenAPI(t *testing.T) {
	a := newApp(t, "")
	r := a.api(t).call("GET", "/api/v1/openapi.json", nil)
	post := r.JSON["paths"].(map[string]any)["/api/v1/files"].(map[string]any)["post"].(map[string]any)
	content := post["requestBody"].(map[string]any)["content"].(map[string]any)
	schema := content["multipart/form-data"].(map[string]any)["schema"].(map[string]any)
	fileProp := schema["properties"].(map[string]any)["file"].(map[string]any)
	if fileProp["format"] != "binary" || fmt.Sprint(schema["required"]) != "[file]" {
		t.Fatalf("upload body documented as %v", content)
	}
	responses := post["responses"].(map[string]any)
	for _, code := range []string{"201", "400", "401", "413"} {
		if responses[code] == nil {
			t.Errorf("upload does not document %s", code)
		}
	}
}
