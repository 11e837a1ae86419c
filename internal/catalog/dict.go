package catalog

import (
	"slices"
	"sort"
	"strings"
)

// Themes for people are life events; for companies, business stages.
var (
	PersonThemes  = []string{"出生", "教育", "就业", "婚姻", "住房", "社会保障", "医疗", "养老", "退休", "户籍", "出行", "残疾人", "身后", "退役军人"}
	CompanyThemes = []string{"企业开办", "准营", "经营", "投资建设", "变更", "注销"}
)

func isTheme(t string) bool {
	return slices.Contains(PersonThemes, t) || slices.Contains(CompanyThemes, t)
}

func keys(m map[string]string) string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	return strings.Join(sortStrings(ks), "、")
}

func sortStrings(s []string) []string { sort.Strings(s); return s }

// sortThemes puts themes in catalogue order (life events, then business
// stages), so the same set is always stored the same way whoever edited it.
func sortThemes(themes []string) {
	rank := func(t string) int {
		if i := slices.Index(PersonThemes, t); i >= 0 {
			return i
		}
		if i := slices.Index(CompanyThemes, t); i >= 0 {
			return len(PersonThemes) + i
		}
		return len(PersonThemes) + len(CompanyThemes)
	}
	slices.SortStableFunc(themes, func(a, b string) int { return rank(a) - rank(b) })
}
