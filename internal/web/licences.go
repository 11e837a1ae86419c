package web

import (
	"errors"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"strings"
	"sync"
	"time"

	"yiwang/internal/apperr"
	"yiwang/internal/licence"
	"yiwang/internal/qr"
)

// Electronic licences (电子证照): the holder's wallet (我的证照, 亮证), the
// licence PDF, public verification (/verify and its API), and revocation
// and annotation by the issuing department.

func (s *Server) routesLicences() {
	if s.Licences == nil {
		return
	}
	s.api(apiRoute{Method: "GET", Path: "/api/v1/licences", Tag: "电子证照", Auth: authRequired, Summary: "我的电子证照（个人：本人持有的；企业经办人：另含本企业持有的）",
		Response: licenceList{}}, s.apiMyLicences)
	s.api(apiRoute{Method: "GET", Path: "/api/v1/licences/{id}", Tag: "电子证照", Auth: authRequired, Summary: "一张电子证照：证照数据、状态、加注、用证记录（持证人或发证部门可见，其他人 404）",
		Response: licence.Licence{}, Errors: []int{404}}, s.apiLicence)
	s.api(apiRoute{Method: "GET", Path: "/api/v1/licences/{id}/pdf", Tag: "电子证照", Auth: authRequired, Summary: "电子证照版式文件（PDF，含电子印章、二维码与核验地址，文件末尾附 SM2 电子签章）",
		Errors: []int{404}}, s.apiLicencePDF)
	s.api(apiRoute{Method: "GET", Path: "/api/v1/licences/{id}/qr.png", Tag: "电子证照", Auth: authRequired, Summary: "亮证二维码（PNG），内容为核验地址",
		Errors: []int{404}}, s.apiLicenceQR)
	s.api(apiRoute{Method: "POST", Path: "/api/v1/licences/{id}/revoke", Tag: "电子证照", Auth: authRequired, Summary: "注销电子证照（发证部门的审批人员或负责人；须写明理由）",
		Request: reasonRequest{}, Response: licence.Licence{}, Errors: []int{400, 403, 404, 409}}, s.apiRevokeLicence)
	s.api(apiRoute{Method: "POST", Path: "/api/v1/licences/{id}/annotations", Tag: "电子证照", Auth: authRequired, Summary: "对电子证照加注（发证部门的审批人员或负责人），版式文件随之重新签章",
		Request: annotateRequest{}, Response: licence.Licence{}, Status: http.StatusCreated, Errors: []int{400, 403, 404, 409}}, s.apiAnnotateLicence)
	s.api(apiRoute{Method: "POST", Path: "/api/v1/licences/verify", Tag: "电子证照", Auth: authNone,
		Summary: "核验电子证照：JSON {\"qr\": 扫码或粘贴的内容}，或 multipart/form-data 的 file（证照 PDF）。真伪、签发部门、是否有效或已注销；任何输入都不会得到 500。按来源 IP 限流",
		Request: verifyRequest{}, Multipart: []formPart{{Name: "file", Desc: "电子证照 PDF，或内含二维码内容的文本文件", File: true}},
		Response: licence.Result{}, Errors: []int{400, 413, 429}}, s.apiVerifyLicence)
	s.api(apiRoute{Method: "GET", Path: "/api/v1/licences/trust.pem", Tag: "电子证照", Auth: authNone,
		Summary: "本平台所信任的证书（制章机构与各部门的签章证书，PEM），供离线核验：yiwang licence verify --trust"}, s.apiTrustPEM)
	s.api(apiRoute{Method: "GET", Path: "/api/v1/licence-types", Tag: "电子证照", Auth: authNone, Summary: "证照类型目录（定义机构、字段、有效期规则）",
		Response: []licence.Type{}}, s.apiLicenceTypes)
	s.api(apiRoute{Method: "PUT", Path: "/api/v1/licence-types", Tag: "电子证照", Auth: authRequired, Summary: "新增或更新证照类型（管理员；全部校验通过才保存，按 code 覆盖）",
		Request: []licence.Type{}, Response: []licence.Type{}, Errors: []int{400, 403}}, s.apiSaveLicenceTypes)
	s.page("GET /admin/licences", authRequired, s.adminLicencesPage)
	s.page("GET /my/licences", authRequired, s.myLicencesPage)
	s.page("GET /licences/{id}", authRequired, s.licencePage)
	s.page("GET /licences/{id}/pdf", authRequired, s.licencePDFPage)
	s.page("GET /licences/{id}/qr.png", authRequired, s.licenceQRPage)
	s.page("POST /licences/{id}/revoke", authRequired, s.licenceRevokePage)
	s.page("POST /licences/{id}/annotate", authRequired, s.licenceAnnotatePage)
	s.page("GET /verify", authOptional, s.verifyPage)
	s.page("POST /verify", authOptional, s.verifyPost)
}

type licenceList struct {
	Licences []licence.Licence `json:"licences"`
}

type reasonRequest struct {
	Reason string `json:"reason"`
}

type annotateRequest struct {
	Text string `json:"text"`
}

type verifyRequest struct {
	QR string `json:"qr"`
}

func (s *Server) apiMyLicences(w http.ResponseWriter, r *http.Request) error {
	ls, err := s.Licences.Mine(r.Context(), principal(r))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, licenceList{Licences: ls})
	return nil
}

func (s *Server) apiLicence(w http.ResponseWriter, r *http.Request) error {
	l, err := s.Licences.Get(r.Context(), principal(r), r.PathValue("id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, l)
	return nil
}

func (s *Server) apiLicencePDF(w http.ResponseWriter, r *http.Request) error {
	name, b, err := s.Licences.PDF(r.Context(), principal(r), r.PathValue("id"))
	if err != nil {
		return err
	}
	writePDF(w, b, name)
	return nil
}

func (s *Server) apiLicenceQR(w http.ResponseWriter, r *http.Request) error {
	return s.writeLicenceQR(w, r)
}

func (s *Server) licenceQRPage(w http.ResponseWriter, r *http.Request) error {
	return s.writeLicenceQR(w, r)
}

// writeLicenceQR sends the QR code of a licence the caller may see.
func (s *Server) writeLicenceQR(w http.ResponseWriter, r *http.Request) error {
	l, err := s.Licences.Get(r.Context(), principal(r), r.PathValue("id"))
	if err != nil {
		return err
	}
	png, err := qr.PNG(l.VerifyURL, 480)
	if err != nil {
		return err
	}
	h := w.Header()
	h.Set("Content-Type", "image/png")
	h.Set("Cache-Control", "private, no-store")
	w.WriteHeader(http.StatusOK)
	_, err = w.Write(png)
	return err
}

func (s *Server) apiRevokeLicence(w http.ResponseWriter, r *http.Request) error {
	var in reasonRequest
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	l, err := s.Licences.Revoke(r.Context(), principal(r), r.PathValue("id"), in.Reason)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, l)
	return nil
}

func (s *Server) apiAnnotateLicence(w http.ResponseWriter, r *http.Request) error {
	var in annotateRequest
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	l, err := s.Licences.Annotate(r.Context(), principal(r), r.PathValue("id"), in.Text)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, l)
	return nil
}

func (s *Server) apiTrustPEM(w http.ResponseWriter, r *http.Request) error {
	b, err := s.Licences.TrustPEM(r.Context())
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/x-pem-file")
	w.Header().Set("Content-Disposition", `attachment; filename="yiwang-trust.pem"`)
	w.WriteHeader(http.StatusOK)
	_, err = w.Write(b)
	return err
}

func (s *Server) apiLicenceTypes(w http.ResponseWriter, r *http.Request) error {
	ts, err := s.Licences.Types(r.Context())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, ts)
	return nil
}

func (s *Server) apiSaveLicenceTypes(w http.ResponseWriter, r *http.Request) error {
	var in []licence.Type
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	if len(in) == 0 {
		return apperr.New(apperr.Invalid, "请提供至少一个证照类型")
	}
	if err := s.Licences.SaveTypes(r.Context(), principal(r), in); err != nil {
		return err
	}
	return s.apiLicenceTypes(w, r)
}

type adminLicencesData struct {
	Types    []licence.Type
	Makers   []licence.Maker
	Seals    []licence.SealKey
	Unlinked []unlinkedItem // items whose result names an undefined licence type
}

type unlinkedItem struct{ Code, Name, LicenceType string }

// adminLicencesPage shows the licence types, the seal makers and seals,
// and the catalogue items whose result names a licence type that is not
// defined (they would issue no licence).
func (s *Server) adminLicencesPage(w http.ResponseWriter, r *http.Request) error {
	if err := requireAdmin(r); err != nil {
		return err
	}
	ctx := r.Context()
	d := adminLicencesData{}
	var err error
	if d.Types, err = s.Licences.Types(ctx); err != nil {
		return err
	}
	if d.Makers, err = s.Licences.Makers(ctx); err != nil {
		return err
	}
	if d.Seals, err = s.Licences.Seals(ctx); err != nil {
		return err
	}
	defined := map[string]bool{}
	for _, t := range d.Types {
		defined[t.Name] = true
	}
	snap, err := s.Catalog.Snapshot(ctx)
	if err != nil {
		return err
	}
	for _, e := range snap.Entries {
		if res := e.Item.Result; res.Type == "licence" && res.LicenceType != "" && !defined[res.LicenceType] {
			d.Unlinked = append(d.Unlinked, unlinkedItem{Code: e.Item.Code, Name: e.Item.Name, LicenceType: res.LicenceType})
		}
	}
	s.render(w, r, http.StatusOK, "admin_licences", page{Title: "电子证照管理", Data: d})
	return nil
}

// maxVerifyUpload bounds an uploaded licence file.
const maxVerifyUpload = 8 << 20

var (
	errVerifyEmpty = &apperr.Error{Code: apperr.Invalid, Message: "请扫描或粘贴二维码内容，或上传电子证照 PDF 文件", Fields: map[string]string{"qr": "请提供二维码内容或文件"}}
	errVerifyRate  = apperr.New(apperr.RateLimited, "核验过于频繁，请稍后再试")
)

// verifyInput reads what is to be verified: JSON {"qr"}, a form field qr,
// or a multipart upload "file" (PDF, or a text file holding the QR
// content) with an optional qr field.
func verifyInput(w http.ResponseWriter, r *http.Request, api bool) (text string, file []byte, err error) {
	ct := r.Header.Get("Content-Type")
	mt, params, _ := mime.ParseMediaType(ct)
	switch {
	case mt == "multipart/form-data" && params["boundary"] != "":
		r.Body = http.MaxBytesReader(w, r.Body, maxVerifyUpload+multipartOverhead)
		mr := multipart.NewReader(r.Body, params["boundary"])
		for {
			part, err := mr.NextPart()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				return "", nil, verifyReadError(err)
			}
			switch part.FormName() {
			case "file":
				b, err := io.ReadAll(io.LimitReader(part, maxVerifyUpload+1))
				if err != nil {
					return "", nil, verifyReadError(err)
				}
				if len(b) > maxVerifyUpload {
					return "", nil, apperr.New(apperr.TooLarge, "文件超过 8 MB，不是本平台的电子证照")
				}
				if len(b) > 0 {
					file = b
				}
			case "qr":
				b, _ := io.ReadAll(io.LimitReader(part, 4096))
				text = string(b)
			}
		}
	case api:
		var in verifyRequest
		if err := decodeJSON(w, r, &in); err != nil {
			return "", nil, err
		}
		text = in.QR
	default:
		if err := parseForm(w, r); err != nil {
			return "", nil, err
		}
		text = r.PostFormValue("qr")
	}
	if file != nil && !licence.IsPDF(file) {
		// A text file holding the QR content.
		text, file = string(file), nil
	}
	if file == nil && strings.TrimSpace(text) == "" {
		return "", nil, errVerifyEmpty
	}
	return text, file, nil
}

func verifyReadError(err error) error {
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		return apperr.New(apperr.TooLarge, "文件超过 8 MB，不是本平台的电子证照")
	}
	return apperr.New(apperr.Invalid, "无法读取上传的内容，请重新选择文件")
}

func (s *Server) apiVerifyLicence(w http.ResponseWriter, r *http.Request) error {
	if !s.verifyLimit.allow(clientIP(r), time.Now()) {
		return errVerifyRate
	}
	text, file, err := verifyInput(w, r, true)
	if err != nil {
		return err
	}
	res, err := s.Licences.Verify(r.Context(), text, file)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, res)
	return nil
}

// Pages.

type licencesData struct {
	Licences []licence.Licence
}

func (s *Server) myLicencesPage(w http.ResponseWriter, r *http.Request) error {
	ls, err := s.Licences.Mine(r.Context(), principal(r))
	if err != nil {
		return err
	}
	s.render(w, r, http.StatusOK, "my_licences", page{Title: "我的证照", Data: licencesData{Licences: ls}})
	return nil
}

type licenceData struct {
	L       *licence.Licence
	Holder  bool // the caller holds it
	Manage  bool // the caller may revoke and annotate it
	Reason  string
	Note    string
	IDTypes map[string]string
}

func (s *Server) licencePage(w http.ResponseWriter, r *http.Request) error {
	return s.renderLicence(w, r, http.StatusOK, nil, "", "")
}

func (s *Server) renderLicence(w http.ResponseWriter, r *http.Request, status int, formErr *apperr.Error, reason, note string) error {
	p := principal(r)
	l, err := s.Licences.Get(r.Context(), p, r.PathValue("id"))
	if err != nil {
		return err
	}
	d := licenceData{L: l, Holder: l.HeldByCaller(p), Manage: l.ManagedBy(p), Reason: reason, Note: note, IDTypes: licence.IDTypeNames}
	pg := page{Title: l.TypeName, Data: d}
	if formErr != nil {
		pg.Error, pg.Errors = formErr.Message, formErr.Fields
	}
	s.render(w, r, status, "licence", pg)
	return nil
}

func (s *Server) licencePDFPage(w http.ResponseWriter, r *http.Request) error {
	return s.apiLicencePDF(w, r)
}

func (s *Server) licenceRevokePage(w http.ResponseWriter, r *http.Request) error {
	if err := parseForm(w, r); err != nil {
		return err
	}
	reason := r.PostFormValue("reason")
	if _, err := s.Licences.Revoke(r.Context(), principal(r), r.PathValue("id"), reason); err != nil {
		var e *apperr.Error
		if errors.As(err, &e) && (e.Code == apperr.Invalid || e.Code == apperr.Conflict) {
			return s.renderLicence(w, r, statusOf(e.Code), e, reason, "")
		}
		return err
	}
	s.redirect(w, r, "/licences/"+r.PathValue("id"), "电子证照已注销，核验时将显示为已注销")
	return nil
}

func (s *Server) licenceAnnotatePage(w http.ResponseWriter, r *http.Request) error {
	if err := parseForm(w, r); err != nil {
		return err
	}
	text := r.PostFormValue("text")
	if _, err := s.Licences.Annotate(r.Context(), principal(r), r.PathValue("id"), text); err != nil {
		var e *apperr.Error
		if errors.As(err, &e) && (e.Code == apperr.Invalid || e.Code == apperr.Conflict) {
			return s.renderLicence(w, r, statusOf(e.Code), e, "", text)
		}
		return err
	}
	s.redirect(w, r, "/licences/"+r.PathValue("id"), "已加注，版式文件已重新签章")
	return nil
}

type verifyData struct {
	Input  string
	Result *licence.Result
}

func (s *Server) verifyPage(w http.ResponseWriter, r *http.Request) error {
	d := verifyData{}
	if p := r.URL.Query().Get("p"); p != "" {
		// A phone camera opened the QR code's link.
		if !s.verifyLimit.allow(clientIP(r), time.Now()) {
			return errVerifyRate
		}
		res, err := s.Licences.Verify(r.Context(), p, nil)
		if err != nil {
			return err
		}
		d.Result = res
	}
	s.render(w, r, http.StatusOK, "verify", page{Title: "电子证照核验", Data: d})
	return nil
}

func (s *Server) verifyPost(w http.ResponseWriter, r *http.Request) error {
	if !s.verifyLimit.allow(clientIP(r), time.Now()) {
		return errVerifyRate
	}
	text, file, err := verifyInput(w, r, false)
	if err != nil {
		var e *apperr.Error
		if errors.As(err, &e) && e.Code != apperr.Internal {
			pg := page{Title: "电子证照核验", Data: verifyData{Input: text}, Error: e.Message, Errors: e.Fields}
			s.render(w, r, statusOf(e.Code), "verify", pg)
			return nil
		}
		return err
	}
	res, err := s.Licences.Verify(r.Context(), text, file)
	if err != nil {
		return err
	}
	s.render(w, r, http.StatusOK, "verify", page{Title: "电子证照核验", Data: verifyData{Input: text, Result: res}})
	return nil
}

// rateLimit is a token bucket per client address: burst requests at once,
// refilled at perMinute. Buckets idle for ten minutes are dropped.
type rateLimit struct {
	burst, perMinute float64
	mu               sync.Mutex
	buckets          map[string]*bucket
	swept            time.Time
}

type bucket struct {
	tokens float64
	at     time.Time
}

func newRateLimit(burst, perMinute int) *rateLimit {
	return &rateLimit{burst: float64(burst), perMinute: float64(perMinute), buckets: map[string]*bucket{}}
}

func (l *rateLimit) allow(key string, now time.Time) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if now.Sub(l.swept) > 10*time.Minute {
		for k, b := range l.buckets {
			if now.Sub(b.at) > 10*time.Minute {
				delete(l.buckets, k)
			}
		}
		l.swept = now
	}
	b, ok := l.buckets[key]
	if !ok {
		b = &bucket{tokens: l.burst, at: now}
		l.buckets[key] = b
	}
	b.tokens = min(l.burst, b.tokens+now.Sub(b.at).Minutes()*l.perMinute)
	b.at = now
	if b.tokens < 1 {
		return false
	}
	b.tokens--
	return true
}
