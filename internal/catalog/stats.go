package catalog

import "sort"

// Rates are the catalogue's headline figures, computed from the published
// items, never kept by hand.
type Rates struct {
	Items         int     `json:"items"`
	OnlineCapable float64 `json:"onlineCapable"` // 网上可办率: 网办深度 ≥ 三级
	FullyOnline   float64 `json:"fullyOnline"`   // 全程网办率: 四级
	AtMostOnce    float64 `json:"atMostOnce"`    // 最多跑一次: 到现场 ≤ 1 次
	ZeroVisit     float64 `json:"zeroVisit"`     // 零跑动
	Instant       float64 `json:"instant"`       // 即办件占比
	// Compression is how much shorter promised limits are than legal ones,
	// over items whose two limits share a unit and whose legal limit is
	// positive: 1 − Σpromised / Σlegal.
	Compression     float64 `json:"compression"`
	ComparableItems int     `json:"comparableItems"`
	LegalDays       int     `json:"legalDays"`    // Σ legal limits in working days (comparable items)
	PromisedDays    int     `json:"promisedDays"` // Σ promised limits in working days
}

// DeptRates is Rates for one department.
type DeptRates struct {
	Department string `json:"department"`
	Name       string `json:"name"`
	Rates
}

// Stats is the whole catalogue and each department.
type Stats struct {
	Total       Rates       `json:"total"`
	Departments []DeptRates `json:"departments"`
}

type tally struct {
	n, online, full, once, zero, instant, comparable, legal, promised int
}

func (t *tally) add(it *Item) {
	t.n++
	if it.OnlineDepth >= 3 {
		t.online++
	}
	if it.OnlineDepth == 4 {
		t.full++
	}
	if it.Visits <= 1 {
		t.once++
	}
	if it.Visits == 0 {
		t.zero++
	}
	if it.HandlingType == "1" {
		t.instant++
	}
	if it.LegalLimit.Amount > 0 && it.LegalLimit.Unit == it.PromisedLimit.Unit {
		t.comparable++
		t.legal += it.LegalLimit.Amount
		t.promised += it.PromisedLimit.Amount
	}
}

func share(part, whole int) float64 {
	if whole == 0 {
		return 0
	}
	return float64(part) / float64(whole)
}

func (t *tally) rates() Rates {
	r := Rates{Items: t.n, OnlineCapable: share(t.online, t.n), FullyOnline: share(t.full, t.n), AtMostOnce: share(t.once, t.n),
		ZeroVisit: share(t.zero, t.n), Instant: share(t.instant, t.n), ComparableItems: t.comparable, LegalDays: t.legal, PromisedDays: t.promised}
	if t.legal > 0 {
		r.Compression = 1 - float64(t.promised)/float64(t.legal)
	}
	return r
}

// Stats computes the rates of the snapshot.
func (sn *Snapshot) Stats() Stats {
	var total tally
	per := map[string]*tally{}
	names := map[string]string{}
	for _, e := range sn.Entries {
		total.add(&e.Item)
		d := e.Item.Department
		if per[d] == nil {
			per[d] = &tally{}
		}
		per[d].add(&e.Item)
		names[d] = e.DeptName
	}
	st := Stats{Total: total.rates(), Departments: []DeptRates{}}
	for d, t := range per {
		st.Departments = append(st.Departments, DeptRates{Department: d, Name: names[d], Rates: t.rates()})
	}
	sort.Slice(st.Departments, func(i, j int) bool { return st.Departments[i].Department < st.Departments[j].Department })
	return st
}
