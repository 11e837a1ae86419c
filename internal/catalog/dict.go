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
