package catalog

import "strings"

// Answers are the applicant's answers to an item's situation questions
// (question id → option id).
type Answers map[string]string

// AnswersFrom keeps only answers to questions the item asks, with options
// it offers; anything else is ignored, so a crafted query string cannot
// make a material disappear.
func (it *Item) AnswersFrom(get func(string) string) Answers {
	a := Answers{}
	for _, s := range it.Situations {
		v := get(s.ID)
		for _, o := range s.Options {
			if o.ID == v {
				a[s.ID] = v
			}
		}
	}
	return a
}

// Complete reports whether every situation question is answered.
func (it *Item) Complete(a Answers) bool {
	for _, s := range it.Situations {
		if a[s.ID] == "" {
			return false
		}
	}
	return true
}

// applies reports whether a "question=option" condition list holds for
// the answers. Conditions on the same question are alternatives; on
// different questions all must hold. An unanswered question does not
// exclude (until the applicant answers, every possibly needed material
// is shown).
func applies(when []string, a Answers) bool {
	byQ := map[string][]string{}
	for _, w := range when {
		q, o, _ := strings.Cut(w, "=")
		byQ[q] = append(byQ[q], o)
	}
	for q, opts := range byQ {
		ans, ok := a[q]
		if !ok {
			continue
		}
		match := false
		for _, o := range opts {
			if o == ans {
				match = true
			}
		}
		if !match {
			return false
		}
	}
	return true
}

// MaterialsFor returns the materials that apply in the answered situation.
func (it *Item) MaterialsFor(a Answers) []Material {
	var out []Material
	for _, m := range it.Materials {
		if applies(m.When, a) {
			out = append(out, m)
		}
	}
	return out
}

// FieldsFor returns the form fields that apply in the answered situation.
func (f *Form) FieldsFor(a Answers) []Field {
	var out []Field
	for _, fl := range f.Fields {
		if applies(fl.When, a) {
			out = append(out, fl)
		}
	}
	return out
}
