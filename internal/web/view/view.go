// Package view holds yiwang's embedded templates and static assets. Every
// page is the layout plus one content template; html/template escapes
// everything by context.
package view

import (
	"embed"
	"fmt"
	"html/template"
	"io"
	"io/fs"
	"path"
	"strconv"
	"strings"
	"time"

	"yiwang/internal/catalog"
	"yiwang/internal/identity"
	"yiwang/internal/licence"
)

//go:embed templates/*.html
var templates embed.FS

//go:embed static
var static embed.FS

// Static is the file tree served under /static/.
func Static() fs.FS {
	sub, _ := fs.Sub(static, "static")
	return sub
}

// Shanghai is the time zone pages show times in.
var Shanghai = func() *time.Location {
	loc, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		return time.FixedZone("CST", 8*3600)
	}
	return loc
}()

var funcs = template.FuncMap{
	"roles": identity.RoleLabels,
	"time": func(t time.Time) string {
		if t.IsZero() {
			return ""
		}
		return t.In(Shanghai).Format("2006-01-02 15:04")
	},
	// at is time for an optional instant.
	"at": func(t *time.Time) string {
		if t == nil || t.IsZero() {
			return ""
		}
		return t.In(Shanghai).Format("2006-01-02 15:04")
	},
	// first is the first of a field's values ("" when none).
	"first": func(v []string) string {
		if len(v) == 0 {
			return ""
		}
		return v[0]
	},
	"windowKind": func(k string) string { return identity.WindowKindNames[k] },
	"kindName": func(k identity.Kind) string {
		switch k {
		case identity.KindPerson:
			return "个人"
		case identity.KindCompany:
			return "法人"
		case identity.KindStaff:
			return "工作人员"
		}
		return string(k)
	},
	"has": func(p *identity.Principal, role string) bool { return p.HasRole(identity.Role(role)) },
	"add": func(a, b int) int { return a + b },
	// usedFor: a licence stands in for the material (免提交).
	"usedFor": func(uses []licence.CaseUse, material string) bool {
		for _, u := range uses {
			if u.MaterialID == material {
				return true
			}
		}
		return false
	},
	"themesPerson":  func() []string { return catalog.PersonThemes },
	"themesCompany": func() []string { return catalog.CompanyThemes },
	"join":          strings.Join,
	"num": func(f *float64) string {
		if f == nil {
			return ""
		}
		return strconv.FormatFloat(*f, 'f', -1, 64)
	},
	"in": func(v string, list []string) bool {
		for _, x := range list {
			if x == v {
				return true
			}
		}
		return false
	},
	"options": func(opts []catalog.Option) string {
		var b strings.Builder
		for _, o := range opts {
			b.WriteString(o.ID + "=" + o.Label + "\n")
		}
		return b.String()
	},
	"pct": func(f float64) string { return fmt.Sprintf("%.1f%%", f*100) },
	"limit": func(l catalog.Limit) string {
		if l.Amount == 0 {
			return "即办"
		}
		return fmt.Sprintf("%d个%s", l.Amount, catalog.LimitUnits[l.Unit])
	},
	// dict builds the argument map of a sub-template: dict "Name" "x" "Label" "y".
	"dict": func(kv ...any) (map[string]any, error) {
		if len(kv)%2 != 0 {
			return nil, fmt.Errorf("dict: odd number of arguments")
		}
		m := make(map[string]any, len(kv)/2)
		for i := 0; i < len(kv); i += 2 {
			k, ok := kv[i].(string)
			if !ok {
				return nil, fmt.Errorf("dict: key %v is not a string", kv[i])
			}
			m[k] = kv[i+1]
		}
		return m, nil
	},
}

// Set is the parsed page templates.
type Set struct {
	pages map[string]*template.Template
}

// Load parses the layout with each page.
func Load() (*Set, error) {
	layout, err := template.New("layout.html").Funcs(funcs).ParseFS(templates, "templates/layout.html")
	if err != nil {
		return nil, err
	}
	names, err := fs.Glob(templates, "templates/*.html")
	if err != nil {
		return nil, err
	}
	s := &Set{pages: map[string]*template.Template{}}
	for _, n := range names {
		base := strings.TrimSuffix(path.Base(n), ".html")
		if base == "layout" {
			continue
		}
		t, err := template.Must(layout.Clone()).ParseFS(templates, n)
		if err != nil {
			return nil, fmt.Errorf("template %s: %w", n, err)
		}
		s.pages[base] = t
	}
	return s, nil
}

// Render writes page name with data.
func (s *Set) Render(w io.Writer, name string, data any) error {
	t, ok := s.pages[name]
	if !ok {
		return fmt.Errorf("no template %q", name)
	}
	return t.ExecuteTemplate(w, "layout.html", data)
}

// Has reports whether a page template exists.
func (s *Set) Has(name string) bool { _, ok := s.pages[name]; return ok }
